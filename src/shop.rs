//! Shop ciphers, parsed once.
//!
//! A shop cipher (`cipher` of `GET /authorization/202309/shops`) names the
//! shop every order call is for, and it becomes a store path segment
//! (`extract/shop=<cipher>/`). So it is checked once, where it enters the
//! program (flags, the authorized shops list), and carried as a
//! [`ShopCipher`] from there on.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A shop cipher: letters, digits, `_` and `-`, at most 128 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShopCipher(String);

/// A text that cannot be a shop cipher.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a shop cipher: ciphers are letters, digits, `_` and `-` \
     (`tiktok-etl check` lists the ciphers of your shops)"
)]
pub struct NotAShopCipher {
    pub text: String,
}

const MAX_LEN: usize = 128;

impl ShopCipher {
    pub fn parse(text: &str) -> Result<ShopCipher, NotAShopCipher> {
        let text = text.trim();
        let valid = !text.is_empty()
            && text.len() <= MAX_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
        if valid {
            Ok(ShopCipher(text.to_owned()))
        } else {
            Err(NotAShopCipher {
                text: text.to_owned(),
            })
        }
    }

    /// Parses a list, keeping the first of any repeated cipher.
    pub fn parse_list<'a>(
        texts: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<ShopCipher>, NotAShopCipher> {
        let mut shops: Vec<ShopCipher> = Vec::new();
        for text in texts.into_iter().filter(|t| !t.trim().is_empty()) {
            let shop = ShopCipher::parse(text)?;
            if !shops.contains(&shop) {
                shops.push(shop);
            }
        }
        Ok(shops)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ShopCipher {
    type Error = NotAShopCipher;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        ShopCipher::parse(&text)
    }
}

impl From<ShopCipher> for String {
    fn from(shop: ShopCipher) -> String {
        shop.0
    }
}

impl fmt::Display for ShopCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ciphers_are_path_safe_and_lists_drop_repeats() {
        assert_eq!(
            ShopCipher::parse(" GCP_XF90ig-AAB ").unwrap().as_str(),
            "GCP_XF90ig-AAB"
        );
        for bad in ["", "../etc", "a/b", "a b", "shop=1", &"x".repeat(129)] {
            let err = ShopCipher::parse(bad).unwrap_err();
            assert!(err.to_string().contains("not a shop cipher"), "{bad}");
        }
        let list = ShopCipher::parse_list(["GCP_a", " ROW_b", "GCP_a", ""]).unwrap();
        assert_eq!(
            list.iter().map(ShopCipher::as_str).collect::<Vec<_>>(),
            ["GCP_a", "ROW_b"]
        );
        assert!(ShopCipher::parse_list(["GCP_a", "../x"]).is_err());
    }
}
