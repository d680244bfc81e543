//! The control commands (unbound-control's names and arguments) read from words and written back
//! as the one line the client sends. Pure: parsing only, no socket and no cache here.

use std::fmt;
use std::net::IpAddr;

use hickory_proto::rr::{Name, RecordType};

use crate::presentation::parse_record_type;
use crate::replay::record_text::parse_name;

/// What the control endpoint understands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlCommand {
    /// Counters and histograms; never reset (the metrics endpoint reads the same counters, and
    /// Prometheus counters must not go back), unlike Unbound's `stats`.
    Stats,
    /// Unbound's name for the same listing.
    StatsNoreset,
    /// `flush` alone: empty the cache (as before these commands existed).
    FlushAll,
    /// `flush NAME`: every type of one name.
    FlushName(Name),
    /// `flush_type NAME TYPE`.
    FlushType(Name, RecordType),
    /// `flush_zone NAME`: the name and everything below it.
    FlushZone(Name),
    /// `flush_bogus`: DNSSEC failures remembered (bogus chains of trust, recent failures).
    FlushBogus,
    /// `flush_negative`: NXDOMAIN and NODATA entries.
    FlushNegative,
    /// `flush_infra ADDR|all`: what is known of a server (RTT, timeouts, resting).
    FlushInfra(Option<IpAddr>),
    /// `dump_cache`: the cache as text, to stdout.
    DumpCache,
    /// `load_cache`: a dump read from stdin.
    LoadCache,
    /// `lookup NAME`: the delegation the cache holds for a name and the servers that would be asked.
    Lookup(Name),
    /// `list_forwards`: the forward zones.
    ListForwards,
    /// `list_local_zones`: the local zones and their types.
    ListLocalZones,
    /// Re-read the config file and local zones (as SIGHUP).
    Reload,
}

/// The command words and their arguments, for usage messages.
pub const CONTROL_USAGE: &str = "stats | stats_noreset | flush [NAME] | flush_type NAME TYPE | \
flush_zone NAME | flush_bogus | flush_negative | flush_infra ADDR|all | dump_cache | load_cache | \
lookup NAME | list_forwards | list_local_zones | reload";

/// Why words are not a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError(String);

impl fmt::Display for CommandError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} (expected {CONTROL_USAGE})", self.0)
    }
}

impl std::error::Error for CommandError {}

fn name_argument(command: &str, word: Option<&&str>) -> Result<Name, CommandError> {
    let word = word.ok_or_else(|| CommandError(format!("{command} needs a NAME")))?;
    let mut name =
        parse_name(word).map_err(|_| CommandError(format!("{command}: bad name {word:?}")))?;
    name.set_fqdn(true);
    Ok(name)
}

impl ControlCommand {
    /// Reads a command from its words (`flush_type www.example. A`).
    pub fn parse(words: &[&str]) -> Result<ControlCommand, CommandError> {
        let Some((first, arguments)) = words.split_first() else {
            return Err(CommandError("no command".to_string()));
        };
        let command = match (*first, arguments.len()) {
            ("stats", 0) => ControlCommand::Stats,
            ("stats_noreset", 0) => ControlCommand::StatsNoreset,
            ("flush", 0) => ControlCommand::FlushAll,
            ("flush", 1) => ControlCommand::FlushName(name_argument(first, arguments.first())?),
            ("flush_type", 2) => {
                let name = name_argument(first, arguments.first())?;
                let word = arguments.get(1).copied().unwrap_or_default();
                let record_type = parse_record_type(word)
                    .map_err(|_| CommandError(format!("flush_type: bad type {word:?}")))?;
                ControlCommand::FlushType(name, record_type)
            }
            ("flush_zone", 1) => {
                ControlCommand::FlushZone(name_argument(first, arguments.first())?)
            }
            ("flush_bogus", 0) => ControlCommand::FlushBogus,
            ("flush_negative", 0) => ControlCommand::FlushNegative,
            ("flush_infra", 1) => match arguments.first().copied().unwrap_or_default() {
                "all" => ControlCommand::FlushInfra(None),
                word => ControlCommand::FlushInfra(Some(word.parse::<IpAddr>().map_err(|_| {
                    CommandError(format!(
                        "flush_infra: {word:?} is neither an address nor all"
                    ))
                })?)),
            },
            ("dump_cache", 0) => ControlCommand::DumpCache,
            ("load_cache", 0) => ControlCommand::LoadCache,
            ("lookup", 1) => ControlCommand::Lookup(name_argument(first, arguments.first())?),
            ("list_forwards", 0) => ControlCommand::ListForwards,
            ("list_local_zones", 0) => ControlCommand::ListLocalZones,
            ("reload", 0) => ControlCommand::Reload,
            (word, count) => {
                let known = CONTROL_USAGE
                    .split('|')
                    .any(|usage| usage.split_whitespace().next() == Some(word));
                return Err(CommandError(if known {
                    format!("{word}: wrong number of arguments ({count})")
                } else {
                    format!("unknown command {word:?}")
                }));
            }
        };
        Ok(command)
    }

    /// The line the client sends (without its newline): words as `parse` reads them.
    pub fn line(&self) -> String {
        match self {
            ControlCommand::Stats => "stats".to_string(),
            ControlCommand::StatsNoreset => "stats_noreset".to_string(),
            ControlCommand::FlushAll => "flush".to_string(),
            ControlCommand::FlushName(name) => format!("flush {name}"),
            ControlCommand::FlushType(name, record_type) => {
                format!("flush_type {name} {record_type}")
            }
            ControlCommand::FlushZone(name) => format!("flush_zone {name}"),
            ControlCommand::FlushBogus => "flush_bogus".to_string(),
            ControlCommand::FlushNegative => "flush_negative".to_string(),
            ControlCommand::FlushInfra(None) => "flush_infra all".to_string(),
            ControlCommand::FlushInfra(Some(address)) => format!("flush_infra {address}"),
            ControlCommand::DumpCache => "dump_cache".to_string(),
            ControlCommand::LoadCache => "load_cache".to_string(),
            ControlCommand::Lookup(name) => format!("lookup {name}"),
            ControlCommand::ListForwards => "list_forwards".to_string(),
            ControlCommand::ListLocalZones => "list_local_zones".to_string(),
            ControlCommand::Reload => "reload".to_string(),
        }
    }

    /// The first word (for logs and tests).
    pub fn word(&self) -> String {
        self.line()
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_reads_back_from_the_line_it_writes() {
        let lines = [
            "stats",
            "stats_noreset",
            "flush",
            "flush www.example.",
            "flush_type www.example. AAAA",
            "flush_zone example.",
            "flush_zone .",
            "flush_bogus",
            "flush_negative",
            "flush_infra 192.0.2.1",
            "flush_infra 2001:db8::1",
            "flush_infra all",
            "dump_cache",
            "load_cache",
            "lookup www.example.",
            "list_forwards",
            "list_local_zones",
            "reload",
        ];
        for line in lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            let command = ControlCommand::parse(&words);
            assert_eq!(
                command.as_ref().map(ControlCommand::line).ok().as_deref(),
                Some(line)
            );
        }
    }

    #[test]
    fn names_without_a_trailing_dot_are_absolute_and_bad_words_are_named() {
        assert_eq!(
            ControlCommand::parse(&["flush", "Example.COM"]).map(|command| command.line()),
            Ok("flush Example.COM.".to_string())
        );
        let errors = [
            (vec!["shutdown"], "unknown command \"shutdown\""),
            (
                vec!["flush_type", "a."],
                "flush_type: wrong number of arguments (1)",
            ),
            (
                vec!["flush_type", "a.", "NOPE"],
                "flush_type: bad type \"NOPE\"",
            ),
            (vec!["flush_infra", "host"], "neither an address nor all"),
            (vec!["lookup"], "lookup: wrong number of arguments (0)"),
        ];
        for (words, expected) in errors {
            match ControlCommand::parse(&words) {
                Ok(command) => panic!("{words:?} parsed as {command:?}"),
                Err(error) => assert!(error.to_string().contains(expected), "{error}"),
            }
        }
    }
}
