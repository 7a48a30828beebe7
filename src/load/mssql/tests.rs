//! The T-SQL of the load without a server: the DDL in `sql/` against
//! `COLUMNS`, and every statement through sqlparser's `MsSqlDialect`.
//!
//! sqlparser 0.59 does not know two T-SQL constructs the load uses; the
//! tests rewrite them (see [`PARSER_GAPS`]) and parse the rest, and check
//! that each rewrite is still needed, so no statement goes unparsed
//! silently. Everything else, MERGE … OUTPUT $action included, parses as
//! written.

use sqlparser::ast::{ColumnOption, Statement};
use sqlparser::dialect::MsSqlDialect;
use sqlparser::parser::Parser;

use super::{audit, check, sql};
use crate::load::table::TableName;
use crate::manifest::LoadMode;
use crate::schema::diff::Column as Declared;

/// (what sqlparser 0.59 cannot parse, the text it is replaced by for the parse).
const PARSER_GAPS: [(&str, &str); 9] = [
    // CLUSTERED / NONCLUSTERED on CREATE INDEX.
    ("CREATE CLUSTERED INDEX", "CREATE INDEX"),
    ("CREATE UNIQUE CLUSTERED INDEX", "CREATE UNIQUE INDEX"),
    // A table hint on the target of MERGE (`MERGE INTO t WITH (HOLDLOCK) AS t`).
    (" WITH (HOLDLOCK) AS t\n", " AS t\n"),
    // OUTPUT on INSERT.
    (" OUTPUT inserted.load_id VALUES ", " VALUES "),
    // A return value taken from EXEC.
    ("EXEC @lock = sys.sp_getapplock", "EXEC sys.sp_getapplock"),
    // ALTER DATABASE (sql/01_create_database.sql).
    (
        "ALTER DATABASE Facolos_Staging SET READ_COMMITTED_SNAPSHOT ON WITH ROLLBACK IMMEDIATE;",
        "SELECT 1;",
    ),
    (
        "ALTER DATABASE Facolos_Staging SET RECOVERY SIMPLE;",
        "SELECT 2;",
    ),
    // THROW (SQL Server 2012+), in the two forms the load sends.
    (
        "THROW 51000, N'another load of this table holds its application lock', 1;",
        "SELECT 51000;",
    ),
    (
        "THROW 51001, N'replace with no staged row would empty the table', 1;",
        "SELECT 51001;",
    ),
];

const CREATE_DATABASE: &str = include_str!("../../../sql/01_create_database.sql");

fn parse(sql: &str) -> Result<Vec<Statement>, String> {
    Parser::parse_sql(&MsSqlDialect {}, sql).map_err(|e| e.to_string())
}

/// Parses `sql`, applying the rewrites it needs; returns the rewrites used.
fn parse_with_gaps(what: &str, sql: &str) -> (Vec<Statement>, Vec<&'static str>) {
    let mut text = sql.to_owned();
    let mut used = Vec::new();
    for (gap, rewrite) in PARSER_GAPS {
        if text.contains(gap) {
            text = text.replace(gap, rewrite);
            used.push(gap);
        }
    }
    if !used.is_empty() {
        assert!(
            parse(sql).is_err(),
            "sqlparser now parses {what} as written: drop the rewrites {used:?} from PARSER_GAPS"
        );
    }
    let statements = parse(&text).unwrap_or_else(|e| panic!("{what} does not parse: {e}\n{text}"));
    assert!(!statements.is_empty(), "{what} holds no statement");
    (statements, used)
}

fn all_statements() -> Vec<(String, String)> {
    let other = TableName {
        schema: Some("etl".into()),
        name: "orders_copy".into(),
    };
    let default = TableName {
        schema: None,
        name: "tiktok_shop_orders".into(),
    };
    let mut all = vec![
        (
            "sql/staging/create_tiktok_shop_orders_table.sql".into(),
            sql::TABLE_DDL.into(),
        ),
        (
            "sql/staging/views/v_tiktok_shop_order_sku_quantities.sql".into(),
            sql::VIEW_DDL.into(),
        ),
        (
            "create_table(etl.orders_copy)".into(),
            sql::create_table(&other),
        ),
        ("COLUMNS_QUERY".into(), sql::COLUMNS_QUERY.into()),
        ("create_staged".into(), sql::create_staged(&default)),
        ("INDEX_STAGED".into(), sql::INDEX_STAGED.into()),
        ("ROLLBACK".into(), sql::ROLLBACK.into()),
        ("session".into(), sql::session()),
        ("DUPLICATE_QUERY".into(), sql::DUPLICATE_QUERY.into()),
        (
            "sql/staging/create_etl_load_audit_table.sql".into(),
            audit::DDL.into(),
        ),
        ("create_audit(etl)".into(), audit::create(&other)),
        ("audit_start".into(), audit::insert_started(&default)),
        ("audit_failed".into(), audit::set_failed(&default)),
        ("PERMISSIONS_QUERY".into(), check::PERMISSIONS_QUERY.into()),
        ("KEYS_QUERY".into(), check::KEYS_QUERY.into()),
    ];
    // sqlcmd batches, split at its GO lines.
    for (i, batch) in CREATE_DATABASE.split("\nGO\n").enumerate() {
        if batch
            .lines()
            .any(|l| !l.trim().is_empty() && !l.starts_with("--"))
        {
            all.push((
                format!("sql/01_create_database.sql batch {}", i + 1),
                batch.to_owned(),
            ));
        }
    }
    for mode in [LoadMode::Merge, LoadMode::Append, LoadMode::Replace] {
        for allow in [false, true] {
            all.push((
                format!("apply({mode:?}, allow_empty_replace={allow})"),
                sql::apply(mode, &default, allow),
            ));
        }
    }
    all
}

#[test]
fn every_statement_parses_with_the_mssql_dialect() {
    let mut used = Vec::new();
    for (what, text) in all_statements() {
        used.extend(parse_with_gaps(&what, &text).1);
    }
    for (gap, _) in PARSER_GAPS {
        assert!(
            used.contains(&gap),
            "no statement uses {gap:?} any more: drop it from PARSER_GAPS"
        );
    }
}

/// The columns of the CREATE TABLE inside the DDL file's `IF … BEGIN … END`.
fn ddl_columns() -> Vec<Declared> {
    let (statements, _) = parse_with_gaps("the table DDL", sql::TABLE_DDL);
    let [Statement::If(block)] = &statements[..] else {
        panic!("the DDL is not one IF … BEGIN … END: {statements:?}")
    };
    let create = block
        .if_block
        .statements()
        .iter()
        .find_map(|s| match s {
            Statement::CreateTable(c) => Some(c),
            _ => None,
        })
        .expect("a CREATE TABLE inside the IF block");
    assert_eq!(create.name.to_string(), sql::DDL_TABLE);
    create
        .columns
        .iter()
        .map(|c| {
            let options: Vec<&ColumnOption> = c.options.iter().map(|o| &o.option).collect();
            let nullable = match options[..] {
                [ColumnOption::Null] => true,
                [ColumnOption::NotNull] => false,
                _ => panic!("{}: say NULL or NOT NULL, and nothing else", c.name),
            };
            Declared {
                name: c.name.value.clone(),
                type_name: c.data_type.to_string(),
                nullable,
            }
        })
        .collect()
}

#[test]
fn ddl_file_matches_the_staged_columns_exactly() {
    let expected = sql::expected_columns();
    let actual = ddl_columns();
    for (i, (want, have)) in expected.iter().zip(&actual).enumerate() {
        assert_eq!(have, want, "column {} of the DDL", i + 1);
    }
    assert_eq!(
        actual.len(),
        expected.len(),
        "the DDL has {} columns, COLUMNS + load times {}",
        actual.len(),
        expected.len()
    );
    assert!(sql::TABLE_DDL.contains("UNIQUE NONCLUSTERED (etl_batch_id, order_id, item_id)"));
    assert!(sql::TABLE_DDL.contains("CREATE CLUSTERED INDEX cx_tiktok_shop_orders_order_item ON dbo.tiktok_shop_orders (order_id, item_id)"));
}

#[test]
fn each_mode_is_one_transaction_with_its_own_merge() {
    let table = TableName {
        schema: None,
        name: "tiktok_shop_orders".into(),
    };
    for mode in [LoadMode::Merge, LoadMode::Append, LoadMode::Replace] {
        let text = sql::apply(mode, &table, false);
        assert!(
            text.starts_with("SET XACT_ABORT ON;\nSET NOCOUNT ON;\nBEGIN TRANSACTION;"),
            "{text}"
        );
        assert!(
            text.contains("COMMIT TRANSACTION;\nSELECT @staged AS staged, @inserted AS inserted"),
            "{text}"
        );
        let lock = text.find("EXEC @lock = sys.sp_getapplock @Resource = N'tiktok-etl load [dbo].[tiktok_shop_orders]', \
             @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 120000;\n\
             IF @lock < 0 THROW 51000");
        let begin = text.find("BEGIN TRANSACTION;");
        let merge_at = text.find("MERGE INTO");
        assert!(
            begin < lock && lock < merge_at && lock.is_some(),
            "{mode:?}: the application lock is not taken inside the transaction before the MERGE"
        );
        let audit = text.find("UPDATE [dbo].[etl_load_audit] SET outcome = N'succeeded'");
        assert!(
            merge_at < audit && audit < text.find("COMMIT TRANSACTION;"),
            "{mode:?}: the audit row is not set in the load's transaction"
        );
        assert!(
            text.contains("t.total_amount = CAST(s.total_amount AS DECIMAL(19,4))")
                && text.contains("CAST(s.sub_total AS DECIMAL(19,4))"),
            "{mode:?}: money is not cast from its staged text"
        );
        assert_eq!(text.matches("MERGE INTO").count(), 1, "{mode:?}");
        assert!(text.contains("OUTPUT $action INTO @actions;"));
        assert!(
            !text.contains("t.order_id = s.order_id,"),
            "{mode:?} must not update the key"
        );
        assert!(text.contains("t.etl_updated_at = @P1"));
        assert!(
            !text.contains("t.etl_created_at ="),
            "{mode:?} must keep etl_created_at"
        );
    }
    let merge = sql::apply(LoadMode::Merge, &table, false);
    assert!(merge.contains("WHEN MATCHED AND (s.update_time > t.update_time OR (s.update_time = t.update_time AND s.etl_row_hash <> t.etl_row_hash))"));
    assert!(
        !merge.contains("NOT MATCHED BY SOURCE"),
        "merge never deletes"
    );
    let append = sql::apply(LoadMode::Append, &table, false);
    assert!(append.contains("WITH batch AS (SELECT * FROM [dbo].[tiktok_shop_orders] WITH (HOLDLOCK) WHERE etl_batch_id = @P2)"));
    assert!(
        append.contains("MERGE INTO batch AS t")
            && append.contains("WHEN NOT MATCHED BY SOURCE THEN DELETE")
    );
    let replace = sql::apply(LoadMode::Replace, &table, false);
    assert!(
        replace.contains("DELETE FROM ranked WHERE rn > 1;")
            && replace.contains("WHEN NOT MATCHED BY SOURCE THEN DELETE")
    );
}
