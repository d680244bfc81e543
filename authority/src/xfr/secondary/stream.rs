//! Reads the records of a transfer answer, in order, into what the primary sent: our SOA alone (up
//! to date), the whole zone (AXFR, RFC 5936 §2.2) or differences (IXFR, RFC 1995 §4). No I/O here.

use hickory_proto::rr::{DNSClass, Name, Record, RecordType};

use crate::limits::SECONDARY_MAX_TRANSFER_RECORDS;
use crate::xfr::journal::{soa_serial, Difference};
use crate::xfr::secondary::error::PullError;

/// What a complete answer holds.
#[derive(Debug)]
pub enum Received {
    /// The primary's SOA alone: nothing newer than the serial we asked from (RFC 1995 §2).
    UpToDate(Record),
    /// The whole zone: its SOA, then every other record.
    Whole { soa: Record, records: Vec<Record> },
    /// Differences from our serial to the SOA's.
    Incremental {
        soa: Record,
        differences: Vec<Difference>,
    },
}

impl Received {
    pub fn kind(&self) -> &'static str {
        match self {
            Received::UpToDate(_) => "SOA",
            Received::Whole { .. } => "AXFR",
            Received::Incremental { .. } => "IXFR",
        }
    }
}

/// Where in the answer the next record falls.
#[derive(Debug)]
enum Phase {
    /// Nothing yet: the zone's SOA must come first.
    Start,
    /// After the opening SOA: the next record tells AXFR-style from incremental.
    Opened,
    Whole,
    /// Inside a difference, before its new SOA.
    Deleting,
    /// Inside a difference, after its new SOA.
    Adding,
    /// The closing SOA came: nothing may follow.
    Done,
}

/// Takes the answer's records one at a time, checking each as it comes.
#[derive(Debug)]
pub struct TransferStream {
    origin: Name,
    /// Asked by IXFR: a second SOA opens the differences (in an AXFR it would close an empty zone).
    incremental_asked: bool,
    phase: Phase,
    soa: Option<Record>,
    serial: u32,
    records: Vec<Record>,
    differences: Vec<Difference>,
    count: usize,
}

impl TransferStream {
    pub fn new(origin: Name, incremental_asked: bool) -> TransferStream {
        TransferStream {
            origin,
            incremental_asked,
            phase: Phase::Start,
            soa: None,
            serial: 0,
            records: Vec::new(),
            differences: Vec::new(),
            count: 0,
        }
    }

    /// The serial of the opening SOA, once read.
    pub fn serial(&self) -> Option<u32> {
        self.soa.as_ref().map(|_| self.serial)
    }

    /// Whether only the opening SOA has come so far.
    pub fn only_opened(&self) -> bool {
        matches!(self.phase, Phase::Opened)
    }

    /// Whether the closing SOA has come.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// The next record of the answer.
    pub fn push(&mut self, record: Record) -> Result<(), PullError> {
        self.count += 1;
        if self.count > SECONDARY_MAX_TRANSFER_RECORDS {
            return Err(PullError::TooLarge("records"));
        }
        if record.dns_class != DNSClass::IN {
            return Err(PullError::WrongClass(record.name.to_string()));
        }
        if !self.origin.zone_of(&record.name) {
            return Err(PullError::OutOfZone(record.name.to_string()));
        }
        let soa = record.record_type() == RecordType::SOA;
        if soa && record.name != self.origin {
            return Err(PullError::OutOfZone(format!("SOA at {}", record.name)));
        }
        let serial = soa_serial(Some(&record));
        match (&self.phase, serial) {
            (Phase::Done, _) => {
                return Err(PullError::BadEnding(format!(
                    "record {} after the closing SOA",
                    record.name
                )))
            }
            (Phase::Start, Some(serial)) => {
                self.serial = serial;
                self.soa = Some(record);
                self.phase = Phase::Opened;
            }
            (Phase::Start, None) => return Err(PullError::NoSoaFirst),
            (Phase::Opened, Some(serial)) if self.incremental_asked && serial != self.serial => {
                self.differences.push(Difference {
                    old_soa: record,
                    removed: Vec::new(),
                    new_soa: self.opening_soa()?,
                    added: Vec::new(),
                });
                self.phase = Phase::Deleting;
            }
            (Phase::Opened | Phase::Whole, Some(serial)) => {
                if serial != self.serial {
                    return Err(PullError::BadEnding(format!(
                        "closing SOA serial {serial} differs from the opening {}",
                        self.serial
                    )));
                }
                self.phase = Phase::Done;
            }
            (Phase::Opened | Phase::Whole, None) => {
                self.records.push(record);
                self.phase = Phase::Whole;
            }
            (Phase::Deleting, Some(_)) => {
                if let Some(difference) = self.differences.last_mut() {
                    difference.new_soa = record;
                }
                self.phase = Phase::Adding;
            }
            (Phase::Deleting, None) => {
                if let Some(difference) = self.differences.last_mut() {
                    difference.removed.push(record);
                }
            }
            (Phase::Adding, Some(serial)) => {
                let reached = self.differences.last().map_or(0, Difference::to_serial);
                if serial == self.serial && reached == self.serial {
                    self.phase = Phase::Done;
                } else if serial != reached {
                    // RFC 1995 §4: each difference starts where the previous one ended.
                    return Err(PullError::IxfrMismatch(format!(
                        "difference from {serial} follows one ending at {reached}"
                    )));
                } else {
                    self.differences.push(Difference {
                        old_soa: record,
                        removed: Vec::new(),
                        new_soa: self.opening_soa()?,
                        added: Vec::new(),
                    });
                    self.phase = Phase::Deleting;
                }
            }
            (Phase::Adding, None) => {
                if let Some(difference) = self.differences.last_mut() {
                    difference.added.push(record);
                }
            }
        }
        Ok(())
    }

    fn opening_soa(&self) -> Result<Record, PullError> {
        self.soa.clone().ok_or(PullError::NoSoaFirst)
    }

    /// The answer once the messages have ended: complete, or the SOA alone, or truncated.
    pub fn finish(self) -> Result<Received, PullError> {
        let soa = self.soa.ok_or(PullError::NoSoaFirst)?;
        match self.phase {
            Phase::Opened => Ok(Received::UpToDate(soa)),
            Phase::Done if self.differences.is_empty() => Ok(Received::Whole {
                soa,
                records: self.records,
            }),
            Phase::Done => Ok(Received::Incremental {
                soa,
                differences: self.differences,
            }),
            _ => Err(PullError::Truncated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, SOA};
    use hickory_proto::rr::RData;

    fn origin() -> Name {
        Name::from_ascii("example.test.").unwrap()
    }

    fn soa(serial: u32) -> Record {
        Record::from_rdata(
            origin(),
            3600,
            RData::SOA(SOA::new(
                origin(),
                origin(),
                serial,
                3600,
                900,
                604_800,
                300,
            )),
        )
    }

    fn a(owner: &str, last: u8) -> Record {
        Record::from_rdata(
            Name::from_ascii(owner).unwrap(),
            300,
            RData::A(A::new(192, 0, 2, last)),
        )
    }

    fn read(incremental: bool, records: Vec<Record>) -> Result<Received, PullError> {
        let mut stream = TransferStream::new(origin(), incremental);
        for record in records {
            stream.push(record)?;
        }
        stream.finish()
    }

    #[test]
    fn axfr_is_soa_records_soa() {
        let received = read(
            false,
            vec![
                soa(5),
                a("www.example.test.", 1),
                a("ftp.example.test.", 2),
                soa(5),
            ],
        )
        .unwrap();
        assert!(matches!(received, Received::Whole { ref records, .. } if records.len() == 2));
    }

    #[test]
    fn ixfr_answer_in_axfr_style_is_the_whole_zone() {
        let received = read(true, vec![soa(5), a("www.example.test.", 1), soa(5)]).unwrap();
        assert_eq!(received.kind(), "AXFR");
    }

    #[test]
    fn ixfr_differences_are_read_in_order() {
        let received = read(
            true,
            vec![
                soa(3),
                soa(1),
                a("www.example.test.", 1),
                soa(2),
                a("www.example.test.", 2),
                soa(2),
                soa(3),
                a("new.example.test.", 3),
                soa(3),
            ],
        )
        .unwrap();
        let Received::Incremental { differences, .. } = received else {
            panic!("not incremental");
        };
        assert_eq!(differences.len(), 2);
        assert_eq!(
            (differences[0].from_serial(), differences[0].to_serial()),
            (1, 2)
        );
        assert_eq!(differences[0].removed, vec![a("www.example.test.", 1)]);
        assert_eq!(differences[1].added, vec![a("new.example.test.", 3)]);
    }

    #[test]
    fn the_soa_alone_means_up_to_date() {
        assert_eq!(read(true, vec![soa(5)]).unwrap().kind(), "SOA");
    }

    #[test]
    fn a_stream_cut_before_the_closing_soa_is_truncated() {
        let error = read(false, vec![soa(5), a("www.example.test.", 1)]).unwrap_err();
        assert!(matches!(error, PullError::Truncated), "{error}");
    }

    #[test]
    fn out_of_zone_records_and_a_missing_soa_are_refused() {
        let error = read(false, vec![soa(5), a("www.other.test.", 1), soa(5)]).unwrap_err();
        assert!(matches!(error, PullError::OutOfZone(_)), "{error}");
        let error = read(false, vec![a("www.example.test.", 1)]).unwrap_err();
        assert!(matches!(error, PullError::NoSoaFirst), "{error}");
    }

    #[test]
    fn records_after_the_closing_soa_are_refused() {
        let error = read(
            false,
            vec![
                soa(5),
                a("www.example.test.", 1),
                soa(5),
                a("x.example.test.", 1),
            ],
        )
        .unwrap_err();
        assert!(matches!(error, PullError::BadEnding(_)), "{error}");
    }
}
