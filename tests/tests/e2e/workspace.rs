//! The workspace's promises about itself: the `rust-version` it declares (README: the oldest Rust
//! that builds it) is at least what every locked dependency declares.

use std::process::Command;

/// "1.89" or "1.89.0" as (1, 89, 0); `None` for anything else.
fn parse_rust_version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.split('.').map(str::parse::<u64>);
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    Some((major, minor, patch))
}

#[test]
fn no_locked_dependency_needs_a_newer_rust_than_the_workspace_declares() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(e2e::binaries::workspace_root())
        .output()
        .unwrap_or_else(|error| panic!("cannot run cargo metadata: {error}"));
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("cargo metadata printed no JSON: {error}"));
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .map(|members| members.iter().filter_map(|id| id.as_str()).collect())
        .unwrap_or_default();
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let version_of = |package: &serde_json::Value| {
        let text = package["rust_version"].as_str()?;
        Some((parse_rust_version(text)?, text.to_string()))
    };
    let mut declared = None;
    let mut newer = Vec::new();
    let mut dependencies = Vec::new();
    for package in &packages {
        let name = package["name"].as_str().unwrap_or("?");
        let is_member = package["id"]
            .as_str()
            .is_some_and(|id| members.contains(&id));
        let version = version_of(package);
        if is_member {
            let Some((version, text)) = version else {
                panic!("workspace member {name} declares no rust-version (rust-version.workspace = true)");
            };
            match &declared {
                None => declared = Some((version, text)),
                Some((first, _)) => assert_eq!(
                    *first, version,
                    "{name}: members must share the workspace's rust-version"
                ),
            }
        } else if let Some(version) = version {
            dependencies.push((
                name.to_string(),
                package["version"].as_str().unwrap_or("?").to_string(),
                version,
            ));
        }
    }
    let Some((declared, declared_text)) = declared else {
        panic!("no workspace member in cargo metadata");
    };
    for (name, package_version, (version, text)) in dependencies {
        if version > declared {
            newer.push(format!("{name} {package_version} needs Rust {text}"));
        }
    }
    assert!(
        newer.is_empty(),
        "the workspace declares rust-version {declared_text} but locked dependencies need more: \
         {}; raise rust-version in Cargo.toml and the README, or pin older versions",
        newer.join(", ")
    );
}
