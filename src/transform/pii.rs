//! What happens to personal data on its way to the staging table
//! (`--pii keep|mask|hash`).
//!
//! The columns are the buyer's and recipient's: names, phone, address
//! lines, e-mail, nickname and avatar, and the Brazilian CPF. `keep` (the
//! default) stores them as the API sends them (already masked by TikTok for
//! some fulfilment types); `mask` keeps the first character and replaces
//! the rest with `***`; `hash` stores the hex HMAC-SHA256 of the value keyed
//! with a secret (`ETL_PII_HASH_KEY`), so the same person hashes the same in
//! every run and joins still work, while the value cannot be read back
//! without the key.

use std::borrow::Cow;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tiktok_shop_api::Secret;

use super::cell::Cell;

/// The personal columns of the staged table.
pub const COLUMNS: &[&str] = &[
    "buyer_email",
    "buyer_nickname",
    "buyer_avatar",
    "cpf",
    "cpf_name",
    "recipient_name",
    "recipient_first_name",
    "recipient_last_name",
    "recipient_first_name_local_script",
    "recipient_last_name_local_script",
    "recipient_phone",
    "recipient_address_full",
    "recipient_address_detail",
    "recipient_address_line1",
    "recipient_address_line2",
    "recipient_address_line3",
    "recipient_address_line4",
    "recipient_drop_off_location",
];

/// The policy of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pii {
    Keep,
    Mask,
    /// Keyed with this secret.
    Hash(Secret),
}

impl Pii {
    /// `value` as the policy stores it.
    pub fn apply<'a>(&self, value: Cell<'a>) -> Cell<'a> {
        let Cell::Text(text) = value else {
            return value;
        };
        match self {
            Pii::Keep => Cell::Text(text),
            Pii::Mask => Cell::Text(Cow::Owned(mask(&text))),
            Pii::Hash(key) => Cell::Text(Cow::Owned(hash(key, &text))),
        }
    }
}

fn mask(text: &str) -> String {
    match text.chars().next() {
        Some(first) => format!("{first}***"),
        None => String::new(),
    }
}

fn hash(key: &Secret, text: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.expose().as_bytes()).expect("HMAC takes any key");
    mac.update(text.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::staged::{COLUMNS as STAGED, Kind};

    #[test]
    fn every_personal_column_exists_and_holds_a_hash() {
        for name in COLUMNS {
            let column = STAGED.iter().find(|c| c.name == *name);
            let Some(column) = column else {
                panic!("{name} is not a staged column")
            };
            assert!(
                matches!(column.kind, Kind::Text(n) if n >= 64),
                "{name} must hold a 64-character hash"
            );
        }
    }

    #[test]
    fn mask_and_hash_hide_the_value_and_hash_is_stable_per_key() {
        let name = || Cell::Text("Nguyễn Văn An".into());
        assert_eq!(Pii::Keep.apply(name()), name());
        assert_eq!(Pii::Mask.apply(name()), Cell::Text("N***".into()));
        let key = Pii::Hash(Secret::new("pii-test-key-1"));
        let a = key.apply(name());
        assert_eq!(a, key.apply(name()), "the same person, the same hash");
        let Cell::Text(hex) = &a else { panic!() };
        assert_eq!(hex.len(), 64);
        assert!(!hex.contains("Nguy"));
        let other = Pii::Hash(Secret::new("pii-test-key-2")).apply(name());
        assert_ne!(a, other, "another key, another hash");
        assert_eq!(key.apply(Cell::Null), Cell::Null);
    }
}
