//! Writing a file so that readers see the old version or the whole new
//! one, never half of it: write a temporary file beside it, flush it to
//! disk, then rename it over the target.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Error, Result};

/// Writes `path` through `fill`, replacing any existing file only once
/// the new one is complete.
///
/// # Errors
///
/// [`Error::Io`] naming `path` if the folder does not exist, `fill`
/// fails, or the rename fails; the temporary file is then removed.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<()> {
    let tmp = temp_path(path).map_err(|e| Error::io(path, e))?;
    let done = (|| {
        let mut out = BufWriter::new(File::create(&tmp)?);
        fill(&mut out)?;
        out.flush()?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = done {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

/// `dir/.name.<pid>.<n>.tmp` next to `path`, unique within the process.
fn temp_path(path: &Path) -> io::Result<PathBuf> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let Some(name) = path.file_name() else {
        let msg = "the path does not end in a file name";
        return Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
    };
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    let tmp = format!(".{}.{pid}.{n}.tmp", name.to_string_lossy());
    Ok(path.with_file_name(tmp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_keeps_the_old_file_and_leaves_no_temp() {
        let dir = std::env::temp_dir()
            .join(format!("lamina-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.txt");
        write_atomic(&path, |w| w.write_all(b"old")).unwrap();
        let err = write_atomic(&path, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(matches!(err, Err(Error::Io { .. })));
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
