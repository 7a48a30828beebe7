//! `tiktok-etl run` (being written).
