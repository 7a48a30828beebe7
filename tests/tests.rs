//! Integration tests: the real binaries, the sandbox API over HTTP on
//! loopback, a real store (local and S3-compatible) and a real database.

mod util;

mod it {
    mod architecture;
    mod extract;
    mod load;
    mod load_conformance;
    mod load_errors;
    mod load_fixture;
    mod load_targets;
    mod pipeline;
    mod s3;
    mod transform;
    mod transform_pii;
    mod transform_quality;
}
