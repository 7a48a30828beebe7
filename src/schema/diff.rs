//! What differs between the columns a reader expects and the ones it finds.
//!
//! One comparison for every place a schema is checked: Parquet files
//! against the stage schemas, and the staging table against the columns the
//! load needs. Each error names the missing, the unexpected and the
//! mistyped columns.

/// A column as declared somewhere: a name, a type as text, nullability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub type_name: String,
    pub nullable: bool,
}

/// How strictly two lists are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// SQL: names and types compare without regard to case.
    pub ignore_case: bool,
    /// SQL: nullability must be the same. Otherwise only a nullable column
    /// where a non-null one is expected is a difference (a file may be
    /// stricter than its schema).
    pub exact_nulls: bool,
}

impl Rules {
    pub const ARROW: Rules = Rules {
        ignore_case: false,
        exact_nulls: false,
    };
    pub const SQL: Rules = Rules {
        ignore_case: true,
        exact_nulls: true,
    };
}

/// The differences, one text per kind (empty when the lists agree). Order
/// is not compared: readers look columns up by name.
pub fn differences(expected: &[Column], actual: &[Column], rules: Rules) -> Vec<String> {
    let same = |a: &str, b: &str| {
        if rules.ignore_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let find = |list: &'_ [Column], name: &str| list.iter().find(|c| same(&c.name, name)).cloned();
    let names = |list: Vec<&Column>| {
        list.iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let missing: Vec<&Column> = expected
        .iter()
        .filter(|c| find(actual, &c.name).is_none())
        .collect();
    let extra: Vec<&Column> = actual
        .iter()
        .filter(|c| find(expected, &c.name).is_none())
        .collect();
    let mut mistyped = Vec::new();
    for want in expected {
        let Some(have) = find(actual, &want.name) else {
            continue;
        };
        if !same(&have.type_name, &want.type_name) {
            mistyped.push(format!(
                "{} is {}, expected {}",
                want.name, have.type_name, want.type_name
            ));
        }
        let nulls_differ = if rules.exact_nulls {
            have.nullable != want.nullable
        } else {
            have.nullable && !want.nullable
        };
        if nulls_differ {
            let null = |n: bool| if n { "NULL" } else { "NOT NULL" };
            mistyped.push(format!(
                "{} is {}, expected {}",
                want.name,
                null(have.nullable),
                null(want.nullable)
            ));
        }
    }
    let mut out = Vec::new();
    if !missing.is_empty() {
        out.push(format!("missing columns: {}", names(missing)));
    }
    if !extra.is_empty() {
        out.push(format!("unexpected columns: {}", names(extra)));
    }
    if !mistyped.is_empty() {
        out.push(format!("mistyped: {}", mistyped.join("; ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, type_name: &str, nullable: bool) -> Column {
        Column {
            name: name.into(),
            type_name: type_name.into(),
            nullable,
        }
    }

    #[test]
    fn differences_name_missing_extra_and_mistyped_columns() {
        let want = [
            col("a", "TEXT", false),
            col("b", "TEXT", true),
            col("c", "INTEGER", true),
        ];
        let have = [
            col("A", "text", false),
            col("b", "REAL", false),
            col("z", "TEXT", true),
        ];
        let diff = differences(&want, &have, Rules::SQL).join("; ");
        assert!(diff.contains("missing columns: c"), "{diff}");
        assert!(diff.contains("unexpected columns: z"), "{diff}");
        assert!(diff.contains("b is REAL, expected TEXT"), "{diff}");
        assert!(diff.contains("b is NOT NULL, expected NULL"), "{diff}");
        assert!(differences(&want, &want, Rules::SQL).is_empty());
    }

    #[test]
    fn arrow_rules_see_case_and_allow_stricter_files() {
        let want = [col("a", "Utf8", true), col("b", "Int32", false)];
        let have = [col("a", "Utf8", false), col("B", "Int32", true)];
        let diff = differences(&want, &have, Rules::ARROW).join("; ");
        assert!(diff.contains("missing columns: b"), "{diff}");
        assert!(diff.contains("unexpected columns: B"), "{diff}");
        assert!(!diff.contains("a is"), "a stricter column is fine: {diff}");
        let have = [col("a", "Utf8", true), col("b", "Int32", true)];
        let diff = differences(&want, &have, Rules::ARROW).join("; ");
        assert_eq!(diff, "mistyped: b is NULL, expected NOT NULL");
    }
}
