//! Fuzzes the one-line entry reader (`yaml_flow_lines`) against granit reading the whole text
//! (`yaml_events`): the same entries with the same lines, or both not plain. A panic is a finding.
#![no_main]

use authority::zone::yaml_events::{parse_plain_entries, NotPlain};
use authority::zone::yaml_flow_lines::{parse_entries_by_lines, LinesNotPlain};
use authority::zone::yaml_tree::Node;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut by_granit = Vec::new();
    let granit = parse_plain_entries(text, &mut |key, value| by_granit.push((key, value)));
    let mut by_lines: Vec<(Node, Node)> = Vec::new();
    match parse_entries_by_lines(text, &mut |key, value| {
        by_lines.push((key.clone(), value.clone()))
    }) {
        Ok(()) => {
            assert_eq!(granit, Ok(()), "the line reader read a text granit refuses");
            assert_eq!(by_lines, by_granit, "the line reader's entries differ from granit's");
        }
        Err(LinesNotPlain::WholeFile) => assert_eq!(granit, Err(NotPlain)),
        // The loader then reads the whole text with granit: nothing to compare.
        Err(LinesNotPlain::Stretch) => {}
    }
});
