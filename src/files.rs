//! The file registry: every file a run reads goes through [`Files::load`], which refuses
//! non-regular files, caps the read size and decodes the bytes. Nothing else in the
//! program opens input files.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::manifest::FileId;
use crate::source::{display_path, SourceFile};

/// Files larger than this are refused rather than read (no unbounded reads).
pub const MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("file not found")]
    NotFound,
    #[error("is a directory")]
    Directory,
    #[error("not a regular file (FIFO, device or socket); refusing to read it")]
    NotRegular,
    #[error("file is larger than {} MiB; refusing to read it", MAX_FILE_SIZE / (1024 * 1024))]
    TooLarge,
    #[error("{0}")]
    Io(String),
}

#[derive(Debug, Default)]
pub struct Files {
    files: Vec<SourceFile>,
    by_path: HashMap<PathBuf, FileId>,
    cwd: PathBuf,
}

impl Files {
    pub fn new(cwd: PathBuf) -> Files {
        Files {
            files: Vec::new(),
            by_path: HashMap::new(),
            cwd,
        }
    }

    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    /// Load a file once; a second load of the same path returns the same id.
    pub fn load(&mut self, path: &Path) -> Result<FileId, LoadError> {
        let key = normalize(path);
        if let Some(&id) = self.by_path.get(&key) {
            return Ok(id);
        }
        let bytes = read_capped(path)?;
        let display = display_path(path, &self.cwd);
        Ok(self.insert(key, SourceFile::from_bytes(path, display, &bytes)))
    }

    /// Register text that did not come from disk (stdin, tests).
    pub fn add(&mut self, path: &Path, bytes: &[u8]) -> FileId {
        let display = display_path(path, &self.cwd);
        self.insert(
            normalize(path),
            SourceFile::from_bytes(path, display, bytes),
        )
    }

    fn insert(&mut self, key: PathBuf, file: SourceFile) -> FileId {
        let id = self.files.len();
        self.files.push(file);
        self.by_path.insert(key, id);
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate()
    }
}

/// Lexically normalise a path (`a/./b/../c` -> `a/c`) so the same file reached through
/// different includes gets one id without touching the file system again.
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Read a regular file, refusing anything else and anything over [`MAX_FILE_SIZE`].
pub fn read_capped(path: &Path) -> Result<Vec<u8>, LoadError> {
    let meta = std::fs::metadata(path).map_err(io_error)?;
    if meta.is_dir() {
        return Err(LoadError::Directory);
    }
    if !meta.is_file() {
        return Err(LoadError::NotRegular);
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(LoadError::TooLarge);
    }
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow between stat and read: cap the read itself too.
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(LoadError::TooLarge);
    }
    Ok(bytes)
}

fn io_error(e: std::io::Error) -> LoadError {
    match e.kind() {
        std::io::ErrorKind::NotFound => LoadError::NotFound,
        _ => LoadError::Io(e.to_string()),
    }
}
