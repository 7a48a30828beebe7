//! The SQL Server target as parsed: every keyword honoured or refused, the
//! encryption and trust it ends in, named instances, and the SQL Browser
//! asked over a real UDP socket on loopback.

use std::time::Duration;

use tiberius::EncryptionLevel;
use tiktok_shop_api::Secret;
use tiktok_shop_api::secret::SecretError;

use super::browser;
use super::options::{Encryption, Trust};
use super::target::SqlServerTarget;
use crate::failure::Failure;

fn parse(raw: &str) -> Result<SqlServerTarget, String> {
    let env = || -> Result<Option<Secret>, SecretError> { Ok(Some(Secret::new("env-Pa55word"))) };
    SqlServerTarget::parse_ado(raw, env).map_err(|e| {
        assert_eq!(e.failure(), Failure::Fatal, "a bad target is fatal: {e}");
        e.to_string()
    })
}

const BASE: &str = "server=tcp:db.example,1433;database=Facolos_Staging;user id=tiktok_etl";

fn encryption_of(t: &SqlServerTarget) -> String {
    // tiberius keeps its level private; its Debug shows it.
    let debug = format!("{:?}", t.config());
    ["Required", "Off", "NotSupported", "On"]
        .into_iter()
        .find(|level| debug.contains(&format!("encryption: {level}")))
        .unwrap_or("?")
        .to_owned()
}

#[test]
fn encryption_is_required_by_default_and_the_certificate_checked() {
    let t = parse(BASE).unwrap();
    assert_eq!(t.options().encryption, Encryption::Required);
    assert_eq!(t.options().trust, Trust::SystemRoots);
    assert_eq!(
        encryption_of(&t),
        format!("{:?}", EncryptionLevel::Required)
    );
    for (value, level) in [
        ("true", Encryption::Required),
        ("Mandatory", Encryption::Required),
        ("yes", Encryption::Required),
        ("false", Encryption::LoginOnly),
        ("Optional", Encryption::LoginOnly),
    ] {
        let t = parse(&format!("{BASE};Encrypt={value}")).unwrap();
        assert_eq!(t.options().encryption, level, "Encrypt={value}");
    }
    let off = parse(&format!("{BASE};Encrypt=false")).unwrap();
    assert_eq!(encryption_of(&off), format!("{:?}", EncryptionLevel::Off));
    let strict = parse(&format!("{BASE};Encrypt=Strict")).unwrap_err();
    assert!(strict.contains("Encrypt=Mandatory"), "{strict}");
    assert!(parse(&format!("{BASE};Encrypt=DANGER_PLAINTEXT")).is_err());
}

#[test]
fn trust_is_only_what_the_target_asks() {
    let any = parse(&format!("{BASE};TrustServerCertificate=true")).unwrap();
    assert_eq!(any.options().trust, Trust::Any);
    assert_eq!(
        any.options().encryption,
        Encryption::Required,
        "trusting is not turning TLS off"
    );
    let no = parse(&format!("{BASE};TrustServerCertificate=false")).unwrap();
    assert_eq!(no.options().trust, Trust::SystemRoots);
    let ca = parse(&format!("{BASE};TrustServerCertificateCA=/etc/ssl/ca.pem")).unwrap();
    assert_eq!(ca.options().trust, Trust::CaFile("/etc/ssl/ca.pem".into()));
    let both = parse(&format!(
        "{BASE};TrustServerCertificate=true;TrustServerCertificateCA=/x.pem"
    ))
    .unwrap_err();
    assert!(both.contains("exclude each other"), "{both}");
}

#[test]
fn every_keyword_is_honoured_or_refused_never_ignored() {
    let t = parse(&format!(
        "{BASE};Connect Timeout=7;Application Name=nightly-load;Authentication=SqlPassword"
    ))
    .unwrap();
    assert_eq!(t.connect_timeout(), Duration::from_secs(7));
    assert_eq!(t.options().application_name, "nightly-load");
    assert!(format!("{:?}", t.config()).contains("nightly-load"));
    assert_eq!(
        parse(BASE).unwrap().options().application_name,
        "tiktok-shop-etl"
    );
    assert_eq!(
        parse(&format!("{BASE};Connection Timeout=9"))
            .unwrap()
            .connect_timeout(),
        Duration::from_secs(9)
    );
    for refused in [
        "Authentication=ActiveDirectoryPassword",
        "Integrated Security=true",
        "Trusted_Connection=SSPI",
        "ApplicationIntent=ReadOnly",
        "Connect Timeout=0",
        "Connect Timeout=soon",
        "Pooling=true",
        "MultipleActiveResultSets=true",
    ] {
        let err = parse(&format!("{BASE};{refused}")).unwrap_err();
        assert!(!err.is_empty(), "{refused}");
    }
    let unknown = parse(&format!("{BASE};Pooling=true")).unwrap_err();
    assert!(
        unknown.contains("\"pooling\"") && unknown.contains("Connect Timeout"),
        "{unknown}"
    );
    assert!(
        parse(&format!(
            "{BASE};Integrated Security=false;ApplicationIntent=ReadWrite"
        ))
        .is_ok()
    );
}

#[test]
fn named_instances_use_the_port_when_given_else_the_sql_browser() {
    let with_port = parse(r"server=tcp:db.example\SQLEXPRESS,50123;database=d;user id=u").unwrap();
    assert_eq!(with_port.config().get_addr(), "db.example:50123");
    assert_eq!(
        with_port.instance(),
        None,
        "a port wins over the instance name"
    );
    let without = parse(r"server=db.example\SQLEXPRESS;database=d;user id=u").unwrap();
    assert_eq!(without.instance(), Some("SQLEXPRESS"));
    assert!(
        !without.config().get_addr().ends_with(":1434"),
        "TCP to the Browser's UDP port"
    );
    assert_eq!(
        parse("server=(local);user id=u")
            .unwrap()
            .config()
            .get_addr(),
        "localhost:1433"
    );
    assert!(
        parse("server=np:\\\\host\\pipe\\sql\\query;user id=u")
            .unwrap_err()
            .contains("only TCP")
    );
    assert!(
        parse("server=tcp:h,notaport;user id=u")
            .unwrap_err()
            .contains("not a number")
    );
}

#[test]
fn browser_replies_give_the_instance_port() {
    let text = "ServerName;DB1;InstanceName;MSSQLSERVER;IsClustered;No;Version;16.0.1000.6;tcp;1433;;\
                ServerName;DB1;InstanceName;SQLEXPRESS;IsClustered;No;Version;16.0.1000.6;tcp;50123;;";
    let mut reply = vec![0x05, text.len() as u8, 0];
    reply.extend_from_slice(text.as_bytes());
    assert_eq!(browser::parse_reply(&reply, "sqlexpress"), Some(50123));
    assert_eq!(browser::parse_reply(&reply, "MSSQLSERVER"), Some(1433));
    assert_eq!(browser::parse_reply(&reply, "OTHER"), None);
    assert_eq!(browser::parse_reply(b"\x04x", "SQLEXPRESS"), None);
}

#[tokio::test]
async fn the_sql_browser_is_asked_over_udp_and_silence_is_a_clear_retryable_error() {
    let fake = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let address = fake.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let mut buf = [0u8; 512];
        let (n, from) = fake.recv_from(&mut buf).await.unwrap();
        let asked = buf[..n].to_vec();
        let text = "ServerName;H;InstanceName;SQLEXPRESS;IsClustered;No;Version;16.0;tcp;50999;;";
        let mut reply = vec![0x05, text.len() as u8, 0];
        reply.extend_from_slice(text.as_bytes());
        fake.send_to(&reply, from).await.unwrap();
        asked
    });
    let port = browser::instance_port(&address, "SQLEXPRESS", "t")
        .await
        .unwrap();
    assert_eq!(port, 50999);
    assert_eq!(server.await.unwrap(), b"\x04SQLEXPRESS");

    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap().to_string();
    let err = browser::instance_port(&address, "SQLEXPRESS", "t")
        .await
        .unwrap_err();
    assert_eq!(err.failure(), Failure::Retryable);
    assert!(err.to_string().contains("server=tcp:host,PORT"), "{err}");
    drop(silent);
}
