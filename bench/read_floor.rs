//! The physical floor: walk a tree and read every file once, single-threaded, nothing else.
use std::io::Read;

fn walk(dir: &std::path::Path, buf: &mut Vec<u8>, total: &mut u64, files: &mut u64) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            walk(&e.path(), buf, total, files);
        } else if t.is_file() {
            if let Ok(mut f) = std::fs::File::open(e.path()) {
                buf.clear();
                if f.read_to_end(buf).is_ok() {
                    *total += buf.len() as u64;
                    *files += 1;
                }
            }
        }
    }
}

fn main() {
    let root = std::env::args().nth(1).expect("usage: read_floor DIR");
    let (mut buf, mut total, mut files) = (Vec::new(), 0, 0);
    walk(std::path::Path::new(&root), &mut buf, &mut total, &mut files);
    println!("{files} files, {total} bytes");
}
