//! Opaque page tokens, like the real API's: base64 of an obfuscated cursor.
//!
//! A token carries the time of the first page, the offset of the next page
//! and a fingerprint of the query it belongs to. By default later pages are
//! cut from the snapshot at that time (even on a wall clock: no duplicates,
//! no gaps); in live paging the offset is a position in the live result,
//! as in the real API, and the time is only informative.
//! Every token is chosen to contain both `+` and `/`, so a client that puts
//! one in a URL without percent-encoding it fails at once (a raw `+` arrives
//! as a space and the signature no longer matches: 106001), not one page in
//! fifty.

use crate::world::rng::{Rng, combine};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const TOKEN_BYTES: usize = 48;
const VERSION: u8 = 1;

/// Where the next page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// The snapshot ("now", unix seconds) the pages are cut from.
    pub now: i64,
    pub offset: u32,
    /// Of the shop, filters and sort; a token is only valid for its query.
    pub fingerprint: u64,
}

/// Encodes and decodes tokens with a per-sandbox key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageTokens {
    pub key: u64,
}

impl PageTokens {
    pub(crate) fn encode(&self, cursor: Cursor) -> String {
        let mut fallback = String::new();
        for nonce in 0..=u8::MAX {
            let token = base64(&self.seal(cursor, nonce));
            if token.contains('+') && token.contains('/') {
                return token;
            }
            fallback = token;
        }
        fallback
    }

    /// The cursor of a token, or `None` if it is not one of ours.
    pub(crate) fn decode(&self, token: &str) -> Option<Cursor> {
        let mut bytes = unbase64(token)?;
        if bytes.len() != TOKEN_BYTES {
            return None;
        }
        let nonce = bytes[0];
        self.xor(&mut bytes, nonce);
        let field = |range: std::ops::Range<usize>| {
            bytes
                .get(range)
                .map(|b| b.iter().fold(0u64, |a, x| a << 8 | u64::from(*x)))
        };
        let (now, offset, fingerprint, check) = (
            field(2..10)?,
            field(10..14)?,
            field(14..22)?,
            field(22..26)?,
        );
        let cursor = Cursor {
            now: now as i64,
            offset: offset as u32,
            fingerprint,
        };
        (bytes[1] == VERSION && check == u64::from(self.check(cursor))).then_some(cursor)
    }

    fn seal(&self, cursor: Cursor, nonce: u8) -> [u8; TOKEN_BYTES] {
        let mut bytes = [0u8; TOKEN_BYTES];
        bytes[0] = nonce;
        bytes[1] = VERSION;
        bytes[2..10].copy_from_slice(&cursor.now.to_be_bytes());
        bytes[10..14].copy_from_slice(&cursor.offset.to_be_bytes());
        bytes[14..22].copy_from_slice(&cursor.fingerprint.to_be_bytes());
        bytes[22..26].copy_from_slice(&self.check(cursor).to_be_bytes());
        self.xor(&mut bytes, nonce);
        bytes
    }

    fn check(&self, cursor: Cursor) -> u32 {
        let h = combine(
            combine(self.key, cursor.now as u64),
            combine(u64::from(cursor.offset), cursor.fingerprint),
        );
        h as u32
    }

    /// XORs everything after the nonce with a keystream (an involution).
    fn xor(&self, bytes: &mut [u8], nonce: u8) {
        let mut stream = Rng::new(combine(self.key, u64::from(nonce)));
        for b in bytes.iter_mut().skip(1) {
            *b ^= stream.next_u64() as u8;
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |a, (i, b)| a | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unbase64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[test]
fn base64_round_trips() {
    for n in 0..10 {
        let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 250) as u8).collect();
        assert_eq!(unbase64(&base64(&bytes)).unwrap(), bytes);
    }
    assert_eq!(base64(b"hello>wor"), "aGVsbG8+d29y");
    assert!(unbase64("aGVs bG8").is_none());
}

#[test]
fn tokens_round_trip_and_always_contain_plus_and_slash() {
    let tokens = PageTokens { key: 42 };
    for offset in (0..5000).step_by(100) {
        let cursor = Cursor {
            now: 1_764_000_000,
            offset,
            fingerprint: 0xABCD,
        };
        let token = tokens.encode(cursor);
        assert!(token.contains('+') && token.contains('/'), "{token}");
        assert_eq!(tokens.decode(&token), Some(cursor));
        assert_eq!(tokens.decode(&token.replace('+', " ")), None);
        assert_eq!(PageTokens { key: 43 }.decode(&token), None);
    }
}
