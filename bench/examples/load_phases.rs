//! Times each phase of loading one valid YAML zone as `ZoneSource::load` does (parse and convert
//! without lines, then build) and prints the process's memory after each: where the loader's
//! time and peak go, and what stays resident once the heap's free pages are given back.
//! `cargo run --release -p bench --example load_phases -- ORIGIN FILE`.

use std::path::Path;
use std::time::Instant;

fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .filter(|line| line.starts_with("VmRSS") || line.starts_with("VmHWM"))
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

fn main() {
    let arguments: Vec<String> = std::env::args().collect();
    let (Some(origin), Some(file)) = (arguments.get(1), arguments.get(2)) else {
        eprintln!("usage: load_phases ORIGIN FILE");
        std::process::exit(2);
    };
    let Ok(origin) = authority::zone::yaml_zone::parse_origin(origin) else {
        eprintln!("bad origin");
        std::process::exit(2);
    };
    // As the server does at start (`zone::heap_trim`).
    authority::zone::heap_trim::map_large_blocks_apart();
    let start = Instant::now();
    let Ok(text) = std::fs::read_to_string(file) else {
        eprintln!("cannot read {file}");
        std::process::exit(2);
    };
    println!(
        "read file      {:>8.3} s  {}",
        start.elapsed().as_secs_f64(),
        memory()
    );
    let start = Instant::now();
    let read = match authority::zone::yaml_zone::read_zone_text_without_lines(
        &text,
        Path::new(file),
        &origin,
    ) {
        Ok(read) => read,
        Err(errors) => {
            eprintln!("{} errors, first: {:?}", errors.len(), errors.first());
            std::process::exit(1);
        }
    };
    println!(
        "parse+convert  {:>8.3} s  {} records  {}",
        start.elapsed().as_secs_f64(),
        read.records.len(),
        memory()
    );
    drop(text);
    let start = Instant::now();
    match authority::zone::build::build_zone(read) {
        Ok(zone) => {
            println!(
                "build          {:>8.3} s  {} names  {}",
                start.elapsed().as_secs_f64(),
                zone.nodes.len(),
                memory()
            );
            // As the server does once a zone is built (`zone::heap_trim`).
            authority::zone::heap_trim::give_back_free_heap_memory();
            println!("heap trimmed              {}", memory());
        }
        Err(errors) => eprintln!("{} errors, first: {:?}", errors.len(), errors.first()),
    }
}
