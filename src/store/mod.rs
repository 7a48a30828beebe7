//! The store: where stages leave their Parquet files and manifests
//! (`docs/contracts.md`, "Store layout").
//!
//! One `object_store` behind a URL — a local path or `file://` URL, or
//! `s3://bucket/prefix` for S3 and S3-compatible servers. Every path of a
//! run is built by [`layout`]; every Parquet file is written and read by
//! [`parquet_io`] with the writer settings chosen there.

mod error;
pub mod layout;
pub mod parquet_io;
pub mod tokens;

use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::{
    ObjectMeta, ObjectStore, PutMode, PutOptions, PutPayload, UpdateVersion, aws::AmazonS3Builder,
    local::LocalFileSystem, path::Path,
};

pub use error::StoreError;
pub use layout::RunLayout;

use crate::manifest::{Manifest, StageName};

/// An opened store: the object store plus the prefix every path is under.
#[derive(Clone)]
pub struct Store {
    objects: Arc<dyn ObjectStore>,
    root: Path,
    location: String,
    local: bool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.location)
            .finish()
    }
}

impl Store {
    /// Opens the store named by `url`: `./data`, `/abs/path`, `file:///abs/path`
    /// or `s3://bucket/prefix`. Local directories are created when missing.
    ///
    /// S3 reads the usual `AWS_*` variables (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_SESSION_TOKEN`), plus
    /// `AWS_ENDPOINT_URL` for S3-compatible servers and `AWS_ALLOW_HTTP=true`
    /// for plain-HTTP endpoints.
    pub fn open(url: &str) -> Result<Store, StoreError> {
        let open_error = |reason: String| StoreError::Open {
            url: url.to_owned(),
            reason,
        };
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(open_error(
                    "the URL names no bucket (expected s3://bucket/prefix)".into(),
                ));
            }
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
            if let Some(endpoint) =
                env_nonempty("AWS_ENDPOINT_URL_S3").or_else(|| env_nonempty("AWS_ENDPOINT_URL"))
            {
                builder = builder.with_endpoint(endpoint);
            }
            if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err()
            {
                builder = builder.with_region("us-east-1");
            }
            let objects = builder.build().map_err(|source| StoreError::Backend {
                url: url.to_owned(),
                source,
            })?;
            return Ok(Store {
                objects: Arc::new(objects),
                root: Path::from(prefix.trim_matches('/')),
                location: format!("s3://{bucket}/{}", prefix.trim_matches('/'))
                    .trim_end_matches('/')
                    .to_owned(),
                local: false,
            });
        }
        let local = match url.split_once("://") {
            None => url,
            Some(("file", path)) => path,
            Some((scheme, _)) => {
                return Err(open_error(format!(
                    "the scheme {scheme}:// is not supported; use a local path, file:///path or s3://bucket/prefix"
                )));
            }
        };
        if local.is_empty() {
            return Err(open_error("the path is empty".into()));
        }
        let directory = |source| StoreError::Directory {
            url: url.to_owned(),
            source,
        };
        std::fs::create_dir_all(local).map_err(directory)?;
        let absolute = std::fs::canonicalize(local).map_err(directory)?;
        let objects =
            LocalFileSystem::new_with_prefix(&absolute).map_err(|source| StoreError::Backend {
                url: url.to_owned(),
                source,
            })?;
        Ok(Store {
            objects: Arc::new(objects),
            root: Path::default(),
            location: absolute.display().to_string(),
            local: true,
        })
    }

    /// Where the store is, for messages: an absolute path or an `s3://` URL.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// `relative` (a `/`-separated path inside the store) as an object path.
    pub fn path(&self, relative: &str) -> Path {
        relative
            .split('/')
            .filter(|part| !part.is_empty())
            .fold(self.root.clone(), |path, part| path.child(part))
    }

    /// Makes a local file readable and writable by its owner only (a
    /// no-op on S3, where the bucket's policy decides).
    pub fn restrict_to_owner(&self, relative: &str) -> Result<(), StoreError> {
        if !self.local {
            return Ok(());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = std::path::Path::new(&self.location).join(relative);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(
                |source| StoreError::Permissions {
                    path: self.display(relative),
                    source,
                },
            )?;
        }
        Ok(())
    }

    /// Where `relative` is, for people: `<store>/<relative>`.
    pub fn display(&self, relative: &str) -> String {
        format!("{}/{relative}", self.location)
    }

    pub(crate) fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.objects
    }

    /// Every object under `relative`, sorted by path.
    pub async fn list(&self, relative: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let prefix = self.path(relative);
        let mut found: Vec<ObjectMeta> = self
            .objects
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|source| StoreError::io("list", self.display(relative), source))?;
        found.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(found)
    }

    /// Deletes everything under `relative` (a stage directory before a re-run).
    pub async fn delete_all(&self, relative: &str) -> Result<usize, StoreError> {
        let found = self.list(relative).await?;
        for meta in &found {
            match self.objects.delete(&meta.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(source) => {
                    return Err(StoreError::io("delete", meta.location.to_string(), source));
                }
            }
        }
        Ok(found.len())
    }

    /// Removes the unfinished uploads under `relative` of a local store:
    /// `object_store` writes a file as `<name>#<n>` and renames it when
    /// complete, so a process killed while writing leaves that file behind,
    /// where listing never shows it. (On S3 an interrupted upload leaves
    /// parts only the bucket's lifecycle rule removes; see the README.)
    fn remove_unfinished_uploads(&self, relative: &str) -> Result<usize, StoreError> {
        if !self.local {
            return Ok(0);
        }
        let leftover = |path: &std::path::Path, source| StoreError::Leftover {
            path: path.display().to_string(),
            source,
        };
        let mut removed = 0;
        let mut pending = vec![std::path::Path::new(&self.location).join(relative)];
        while let Some(dir) = pending.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(leftover(&dir, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| leftover(&dir, e))?;
                let path = entry.path();
                // Not through links: only what the store itself holds.
                let kind = entry.file_type().map_err(|e| leftover(&path, e))?;
                if kind.is_dir() {
                    pending.push(path);
                } else if kind.is_file() && is_unfinished_upload(&path) {
                    std::fs::remove_file(&path).map_err(|e| leftover(&path, e))?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    pub async fn put(&self, relative: &str, bytes: Bytes) -> Result<(), StoreError> {
        self.objects
            .put(&self.path(relative), PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(|source| StoreError::io("write", self.display(relative), source))
    }

    /// Writes `bytes` unless the object changed since it was read as
    /// `seen` (`None`: unless it exists now); `false` when it changed. On
    /// S3 a conditional PUT (`If-Match` / `If-None-Match`); a local store
    /// refuses an object created meanwhile but writes over one that changed
    /// (each of its writes is the rename of a complete file).
    pub async fn put_unless_changed(
        &self,
        relative: &str,
        bytes: Bytes,
        seen: Option<UpdateVersion>,
    ) -> Result<bool, StoreError> {
        let mode = match seen {
            None => PutMode::Create,
            Some(_) if self.local => PutMode::Overwrite,
            Some(version) => PutMode::Update(version),
        };
        let options = PutOptions {
            mode,
            ..PutOptions::default()
        };
        match self
            .objects
            .put_opts(&self.path(relative), PutPayload::from(bytes), options)
            .await
        {
            Ok(_) => Ok(true),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => Ok(false),
            Err(source) => Err(StoreError::io("write", self.display(relative), source)),
        }
    }

    /// The object's bytes and version (for [`Store::put_unless_changed`]),
    /// or `None` when it does not exist.
    pub async fn get_versioned(
        &self,
        relative: &str,
    ) -> Result<Option<(Bytes, UpdateVersion)>, StoreError> {
        let read_error = |source| StoreError::io("read", self.display(relative), source);
        match self.objects.get(&self.path(relative)).await {
            Ok(result) => {
                let version = UpdateVersion {
                    e_tag: result.meta.e_tag.clone(),
                    version: result.meta.version.clone(),
                };
                let bytes = result.bytes().await.map_err(read_error)?;
                Ok(Some((bytes, version)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(read_error(source)),
        }
    }

    /// The object's bytes, or `None` when it does not exist.
    pub async fn get(&self, relative: &str) -> Result<Option<Bytes>, StoreError> {
        match self.objects.get(&self.path(relative)).await {
            Ok(result) => result
                .bytes()
                .await
                .map(Some)
                .map_err(|source| StoreError::io("read", self.display(relative), source)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(source) => Err(StoreError::io("read", self.display(relative), source)),
        }
    }

    /// Writes a stage's manifest. Called last, after every data file is complete.
    pub async fn put_manifest(
        &self,
        layout: &RunLayout,
        manifest: &Manifest,
    ) -> Result<(), StoreError> {
        let stage: StageName = manifest.stage;
        let mut json =
            serde_json::to_vec_pretty(manifest).map_err(|source| StoreError::Manifest {
                path: self.display(&layout.manifest(stage)),
                source,
            })?;
        json.push(b'\n');
        self.put(&layout.manifest(stage), Bytes::from(json)).await
    }

    /// A stage's manifest, or `None` when the stage has not finished.
    pub async fn manifest(
        &self,
        layout: &RunLayout,
        stage: StageName,
    ) -> Result<Option<Manifest>, StoreError> {
        let relative = layout.manifest(stage);
        let Some(bytes) = self.get(&relative).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| StoreError::Manifest {
                path: self.display(&relative),
                source,
            })
    }

    /// The upstream stage's manifest; its absence is an error that says which
    /// stage to run first (exit 2).
    pub async fn require_manifest(
        &self,
        layout: &RunLayout,
        stage: StageName,
    ) -> Result<Manifest, StoreError> {
        self.manifest(layout, stage)
            .await?
            .ok_or_else(|| StoreError::MissingManifest {
                stage,
                run_id: layout.run_id().to_string(),
                path: self.display(&layout.manifest(stage)),
            })
    }

    /// Starts (or restarts) a stage: removes its manifest first, so no reader
    /// trusts the directory while it changes, then every older file.
    pub async fn begin_stage(
        &self,
        layout: &RunLayout,
        stage: StageName,
    ) -> Result<(), StoreError> {
        match self
            .objects
            .delete(&self.path(&layout.manifest(stage)))
            .await
        {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(source) => {
                return Err(StoreError::io(
                    "delete",
                    self.display(&layout.manifest(stage)),
                    source,
                ));
            }
        }
        let removed = self.delete_all(&layout.stage_dir(stage)).await?
            + self.remove_unfinished_uploads(&layout.stage_dir(stage))?;
        if removed > 0 {
            tracing::info!(stage = %stage, files = removed, "removed the output of an earlier attempt");
        }
        Ok(())
    }
}

/// Whether `path` is named as `object_store` names a local file being
/// written: `<name>#<digits>`.
fn is_unfinished_upload(path: &std::path::Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.split_once('#')
        .is_some_and(|(_, suffix)| !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()))
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_uploads_are_named_as_object_store_names_them() {
        let unfinished = |name: &str| is_unfinished_upload(std::path::Path::new(name));
        assert!(unfinished(
            "runs/r/transform/order_lines/part-00000.parquet#1"
        ));
        assert!(unfinished("part-00000.parquet#12"));
        assert!(!unfinished("part-00000.parquet"));
        assert!(!unfinished("part-00000.parquet#"));
        assert!(!unfinished("part-00000.parquet#1a"), "listed as a file");
    }

    #[test]
    fn unsupported_schemes_and_empty_paths_are_refused() {
        let err = Store::open("ftp://host/x").unwrap_err();
        assert!(err.to_string().contains("ftp:// is not supported"), "{err}");
        assert!(Store::open("").is_err());
        assert!(
            Store::open("s3:///prefix")
                .unwrap_err()
                .to_string()
                .contains("no bucket")
        );
    }

    #[tokio::test]
    async fn local_store_round_trips_and_clears_a_stage() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}", dir.path().join("store").display());
        let store = Store::open(&url).unwrap();
        let layout = RunLayout::new(&crate::run_id::RunId::parse("r:1").unwrap());
        let part = layout.order_lines_part(0);
        store.put(&part, Bytes::from_static(b"x")).await.unwrap();
        assert_eq!(store.get(&part).await.unwrap().unwrap().as_ref(), b"x");
        assert!(
            dir.path()
                .join("store/runs/r=3A1/transform/order_lines/part-00000.parquet")
                .exists()
        );
        store
            .begin_stage(&layout, StageName::Transform)
            .await
            .unwrap();
        assert!(store.get(&part).await.unwrap().is_none());
        let missing = store
            .require_manifest(&layout, StageName::Transform)
            .await
            .unwrap_err();
        assert!(
            missing.to_string().contains("run the transform stage"),
            "{missing}"
        );
    }
}
