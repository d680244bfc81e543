//! Test support: the YAML zone files shipped in this repository (the lab's and the examples'),
//! which the readers' tests read every one of to compare two ways of reading them.

use std::path::PathBuf;

/// Every `*.yaml` of `zones/lab` and `zones/examples`, with its text.
pub fn repository_zone_texts() -> Vec<(PathBuf, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for directory in ["zones/lab", "zones/examples"] {
        if let Ok(entries) = std::fs::read_dir(root.join(directory)) {
            files.extend(entries.flatten().map(|entry| entry.path()));
        }
    }
    files.sort();
    files
        .into_iter()
        .filter(|file| file.extension().is_some_and(|ext| ext == "yaml"))
        .map(|file| {
            let text = std::fs::read_to_string(&file).expect("readable");
            (file, text)
        })
        .collect()
}
