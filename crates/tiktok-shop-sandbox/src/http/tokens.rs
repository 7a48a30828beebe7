//! Access and refresh tokens (reference §2, §11): expiry as absolute unix
//! times, expiry after N calls, refresh through the unsigned token
//! endpoint, rotation of the refresh token, and what happens to the old
//! tokens afterwards. Lifetimes follow the real clock, like request
//! timestamps, because clients measure them with it.

use std::sync::{Mutex, PoisonError};

use crate::world::rng::{Rng, combine, hash_str};

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// How an access token fares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenCheck {
    Valid,
    /// 105002: the client should refresh.
    Expired,
    /// 36009004: unknown, or replaced by a refresh.
    Invalid,
}

/// The tokens that work now, with their expiry (unix seconds), as the
/// refresh endpoint returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTokens {
    pub access_token: String,
    /// `access_token_expire_in`: an absolute unix time, not a duration.
    pub access_token_expire_in: i64,
    pub refresh_token: String,
    /// `refresh_token_expire_in`: an absolute unix time.
    pub refresh_token_expire_in: i64,
}

/// What a refresh token gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refresh {
    Issued(IssuedTokens),
    /// Never issued here (36004004).
    Unknown,
    /// Issued, then replaced by a rotation (36004005).
    Replaced,
    /// Past its `refresh_token_expire_in` (36004001).
    Expired,
}

/// The token rules, from the sandbox config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenPolicy {
    pub seed: u64,
    pub access_lifetime_secs: i64,
    pub refresh_lifetime_secs: i64,
    pub expire_after_requests: Option<u32>,
    pub revoke_old: bool,
    pub rotate_refresh: bool,
}

#[derive(Debug)]
pub(crate) struct Tokens {
    policy: TokenPolicy,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    current: IssuedTokens,
    uses: u64,
    forced_expired: bool,
    /// Replaced access tokens that still work (when not revoking).
    retired_access: Vec<String>,
    /// Refresh tokens replaced by a rotation.
    retired_refresh: Vec<String>,
    generation: u64,
}

impl Tokens {
    pub(crate) fn new(
        policy: TokenPolicy,
        access_token: &str,
        refresh_token: &str,
        now: i64,
    ) -> Self {
        let current = IssuedTokens {
            access_token: access_token.to_owned(),
            access_token_expire_in: now.saturating_add(policy.access_lifetime_secs),
            refresh_token: refresh_token.to_owned(),
            refresh_token_expire_in: now.saturating_add(policy.refresh_lifetime_secs),
        };
        let state = State {
            current,
            uses: 0,
            forced_expired: false,
            retired_access: Vec::new(),
            retired_refresh: Vec::new(),
            generation: 0,
        };
        Tokens {
            policy,
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks the `x-tts-access-token` of a request made at `now`; a valid
    /// current token uses up one of its calls.
    pub(crate) fn check(&self, token: &str, now: i64) -> TokenCheck {
        let mut state = self.lock();
        if token == state.current.access_token {
            let used_up = self
                .policy
                .expire_after_requests
                .is_some_and(|n| state.uses >= u64::from(n));
            if state.forced_expired || used_up || now >= state.current.access_token_expire_in {
                return TokenCheck::Expired;
            }
            state.uses += 1;
            TokenCheck::Valid
        } else if state.retired_access.iter().any(|t| t == token) {
            TokenCheck::Valid
        } else {
            TokenCheck::Invalid
        }
    }

    /// Exchanges a refresh token for a new access token (and, rotating, a
    /// new refresh token).
    pub(crate) fn refresh(&self, refresh_token: &str, now: i64) -> Refresh {
        let mut state = self.lock();
        if refresh_token != state.current.refresh_token {
            return if state.retired_refresh.iter().any(|t| t == refresh_token) {
                Refresh::Replaced
            } else {
                Refresh::Unknown
            };
        }
        if now >= state.current.refresh_token_expire_in {
            return Refresh::Expired;
        }
        state.generation += 1;
        let generation = state.generation;
        let old = std::mem::take(&mut state.current.access_token);
        if !self.policy.revoke_old {
            state.retired_access.push(old);
        }
        state.current.access_token = self.make_token(generation, "access");
        state.current.access_token_expire_in = now.saturating_add(self.policy.access_lifetime_secs);
        if self.policy.rotate_refresh {
            let new = self.make_token(generation, "refresh");
            let old = std::mem::replace(&mut state.current.refresh_token, new);
            state.retired_refresh.push(old);
            state.current.refresh_token_expire_in =
                now.saturating_add(self.policy.refresh_lifetime_secs);
        }
        state.uses = 0;
        state.forced_expired = false;
        Refresh::Issued(state.current.clone())
    }

    /// Makes the current access token expired (as if its time ran out).
    #[cfg(test)]
    pub(crate) fn expire_now(&self) {
        self.lock().forced_expired = true;
    }

    pub(crate) fn current(&self) -> IssuedTokens {
        self.lock().current.clone()
    }

    fn make_token(&self, generation: u64, kind: &str) -> String {
        let mut rng = Rng::new(combine(
            combine(self.policy.seed, hash_str(kind)),
            generation,
        ));
        let body: String = (0..60).map(|_| char::from(*rng.pick(ALPHABET))).collect();
        format!("TTP_{body}")
    }
}

#[cfg(test)]
fn policy() -> TokenPolicy {
    TokenPolicy {
        seed: 1,
        access_lifetime_secs: 100,
        refresh_lifetime_secs: 1000,
        expire_after_requests: Some(2),
        revoke_old: true,
        rotate_refresh: false,
    }
}

#[cfg(test)]
fn issued(refresh: Refresh) -> IssuedTokens {
    match refresh {
        Refresh::Issued(tokens) => tokens,
        other => panic!("not issued: {other:?}"),
    }
}

#[test]
fn tokens_expire_refresh_and_retire() {
    let tokens = Tokens::new(policy(), "old", "r", 0);
    assert_eq!(tokens.check("old", 1), TokenCheck::Valid);
    assert_eq!(tokens.check("old", 1), TokenCheck::Valid);
    assert_eq!(tokens.check("old", 1), TokenCheck::Expired);
    assert_eq!(tokens.check("nope", 1), TokenCheck::Invalid);
    assert_eq!(tokens.refresh("wrong", 1), Refresh::Unknown);
    let new = issued(tokens.refresh("r", 1));
    assert!(new.access_token.starts_with("TTP_") && new.access_token.len() == 64);
    let expiry = (new.access_token_expire_in, new.refresh_token_expire_in);
    assert_eq!((expiry, new.refresh_token.as_str()), ((101, 1000), "r"));
    assert_eq!(tokens.check(&new.access_token, 2), TokenCheck::Valid);
    assert_eq!(tokens.check("old", 2), TokenCheck::Invalid);
    assert_eq!(tokens.check(&new.access_token, 101), TokenCheck::Expired);
    assert_eq!(tokens.refresh("r", 1000), Refresh::Expired);
}

#[test]
fn old_tokens_can_stay_valid_and_refresh_tokens_rotate() {
    let p = TokenPolicy {
        revoke_old: false,
        rotate_refresh: true,
        expire_after_requests: None,
        ..policy()
    };
    let tokens = Tokens::new(p, "old", "r", 0);
    let first = issued(tokens.refresh("r", 1));
    assert_eq!(tokens.check("old", 2), TokenCheck::Valid);
    assert_ne!(first.refresh_token, "r");
    assert_eq!(
        first.refresh_token_expire_in, 1001,
        "a new refresh token lives anew"
    );
    assert_eq!(tokens.refresh("r", 2), Refresh::Replaced);
    let second = issued(tokens.refresh(&first.refresh_token, 3));
    assert_eq!(tokens.refresh(&first.refresh_token, 4), Refresh::Replaced);
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(tokens.current(), second);
    tokens.expire_now();
    assert_eq!(tokens.check(&second.access_token, 4), TokenCheck::Expired);
}
