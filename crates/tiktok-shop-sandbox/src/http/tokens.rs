//! Access and refresh tokens (reference §2): expiry as absolute unix times,
//! refresh through the unsigned token endpoint, and what happens to the old
//! token afterwards. Token lifetimes follow the real clock, like request
//! timestamps, because clients measure them with it.

use std::sync::{Mutex, PoisonError};

use super::rng::{Rng, combine, hash_str};

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

/// A token pair as the refresh endpoint returns it.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub access_token: String,
    pub access_expires: i64,
    pub refresh_token: String,
    pub refresh_expires: i64,
}

/// The token rules, from the sandbox config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenPolicy {
    pub seed: u64,
    pub lifetime_secs: i64,
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
    current: Issued,
    uses: u64,
    forced_expired: bool,
    /// Replaced access tokens that still work (when not revoking).
    retired: Vec<String>,
    generation: u64,
}

impl Tokens {
    pub(crate) fn new(
        policy: TokenPolicy,
        access_token: &str,
        refresh_token: &str,
        now: i64,
    ) -> Self {
        let current = Issued {
            access_token: access_token.to_owned(),
            access_expires: now + policy.lifetime_secs,
            refresh_token: refresh_token.to_owned(),
            refresh_expires: now + 358 * 86_400,
        };
        let state = State {
            current,
            uses: 0,
            forced_expired: false,
            retired: Vec::new(),
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

    /// Checks the `x-tts-access-token` of a request made at `now`.
    pub(crate) fn check(&self, token: &str, now: i64) -> TokenCheck {
        let mut state = self.lock();
        if token == state.current.access_token {
            let used_up = self
                .policy
                .expire_after_requests
                .is_some_and(|n| state.uses >= u64::from(n));
            if state.forced_expired || used_up || now >= state.current.access_expires {
                return TokenCheck::Expired;
            }
            state.uses += 1;
            TokenCheck::Valid
        } else if state.retired.iter().any(|t| t == token) {
            TokenCheck::Valid
        } else {
            TokenCheck::Invalid
        }
    }

    /// Exchanges the refresh token for a new access token.
    pub(crate) fn refresh(&self, refresh_token: &str, now: i64) -> Option<Issued> {
        let mut state = self.lock();
        if refresh_token != state.current.refresh_token || now >= state.current.refresh_expires {
            return None;
        }
        state.generation += 1;
        let generation = state.generation;
        let old = std::mem::take(&mut state.current.access_token);
        if !self.policy.revoke_old {
            state.retired.push(old);
        }
        state.current.access_token = self.make_token(generation, "access");
        state.current.access_expires = now + self.policy.lifetime_secs;
        if self.policy.rotate_refresh {
            state.current.refresh_token = self.make_token(generation, "refresh");
        }
        state.uses = 0;
        state.forced_expired = false;
        Some(state.current.clone())
    }

    /// Makes the current access token expired (as if its time ran out).
    #[cfg(test)]
    pub(crate) fn expire_now(&self) {
        self.lock().forced_expired = true;
    }

    pub(crate) fn current(&self) -> Issued {
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
mod tests {
    use super::*;

    fn policy() -> TokenPolicy {
        TokenPolicy {
            seed: 1,
            lifetime_secs: 100,
            expire_after_requests: Some(2),
            revoke_old: true,
            rotate_refresh: false,
        }
    }

    #[test]
    fn tokens_expire_refresh_and_retire() {
        let tokens = Tokens::new(policy(), "old", "r", 0);
        assert_eq!(tokens.check("old", 1), TokenCheck::Valid);
        assert_eq!(tokens.check("old", 1), TokenCheck::Valid);
        assert_eq!(tokens.check("old", 1), TokenCheck::Expired);
        assert_eq!(tokens.check("nope", 1), TokenCheck::Invalid);
        assert!(tokens.refresh("wrong", 1).is_none());
        let issued = tokens.refresh("r", 1).unwrap();
        assert!(issued.access_token.starts_with("TTP_") && issued.access_token.len() == 64);
        assert_eq!(
            (issued.access_expires, issued.refresh_token.as_str()),
            (101, "r")
        );
        assert_eq!(tokens.check(&issued.access_token, 2), TokenCheck::Valid);
        assert_eq!(tokens.check("old", 2), TokenCheck::Invalid);
        assert_eq!(tokens.check(&issued.access_token, 101), TokenCheck::Expired);
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
        let issued = tokens.refresh("r", 1).unwrap();
        assert_eq!(tokens.check("old", 2), TokenCheck::Valid);
        assert_ne!(issued.refresh_token, "r");
        assert!(tokens.refresh("r", 2).is_none());
        tokens.expire_now();
        assert_eq!(tokens.check(&issued.access_token, 2), TokenCheck::Expired);
    }
}
