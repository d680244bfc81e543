//! Packs a transfer's records into DNS messages (RFC 5936 §2.2: as many as needed, names compressed
//! within each message) and builds the single-message answers (errors, SOA-only). No I/O here.

use std::borrow::Borrow;
use std::collections::HashMap;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordData};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};

use crate::limits::{MAX_TCP_PAYLOAD, TRANSFER_MESSAGE_TARGET_BYTES, TSIG_RECORD_RESERVE_BYTES};

/// Why a transfer could not be packed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PackError {
    /// One record larger than a message can hold beside the question and a TSIG.
    RecordTooLarge(String),
    Encoding(String),
}

impl std::fmt::Display for PackError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PackError::RecordTooLarge(owner) => {
                write!(formatter, "a record at {owner} does not fit in one message")
            }
            PackError::Encoding(problem) => {
                write!(formatter, "cannot encode a transfer message: {problem}")
            }
        }
    }
}

/// Turns a stream of records into transfer messages, one at a time, so a large zone is never
/// encoded whole in memory. The question is in the first message only (RFC 5936 §2.2.1 allows it).
pub struct TransferPacker<R: Borrow<Record>, I: Iterator<Item = R>> {
    id: u16,
    question: Query,
    records: std::iter::Peekable<I>,
    first: bool,
}

impl<R: Borrow<Record>, I: Iterator<Item = R>> TransferPacker<R, I> {
    pub fn new(id: u16, question: Query, records: I) -> Self {
        TransferPacker {
            id,
            question,
            records: records.peekable(),
            first: true,
        }
    }

    /// The next message, `None` once every record is sent.
    pub fn next_message(&mut self) -> Option<Result<Vec<u8>, PackError>> {
        if self.records.peek().is_none() && !self.first {
            return None;
        }
        let hard_limit = MAX_TCP_PAYLOAD - TSIG_RECORD_RESERVE_BYTES;
        let failed = |error: hickory_proto::ProtoError| PackError::Encoding(error.to_string());
        let mut bytes = Vec::with_capacity(TRANSFER_MESSAGE_TARGET_BYTES + 1024);
        let mut count: u16 = 0;
        {
            let mut encoder = BinEncoder::new(&mut bytes);
            // Header: ID, QR and AA, opcode QUERY, NOERROR; ANCOUNT is written once known.
            let header = [self.id, 0x8000 | 0x0400, u16::from(self.first), 0, 0, 0];
            for word in header {
                if let Err(error) = encoder.emit_u16(word) {
                    return Some(Err(failed(error)));
                }
            }
            if self.first {
                if let Err(error) = emit_question(&mut encoder, &self.question) {
                    return Some(Err(failed(error)));
                }
            }
            let mut names = NameTable::default();
            while let Some(record) = self.records.peek() {
                let record: &Record = record.borrow();
                let before = encoder.offset();
                let emitted = emit_record(&mut encoder, record, &mut names);
                if emitted.is_err() || encoder.offset() > hard_limit || count == u16::MAX {
                    if count == 0 {
                        return Some(Err(PackError::RecordTooLarge(record.name.to_string())));
                    }
                    // It goes first into the next message; `trim` also forgets the compression
                    // pointers it added, and nothing more is written to this message.
                    encoder.set_offset(before);
                    encoder.trim();
                    break;
                }
                self.records.next();
                count += 1;
                if encoder.offset() >= TRANSFER_MESSAGE_TARGET_BYTES {
                    break;
                }
            }
        }
        if let Some(answer_count) = bytes.get_mut(6..8) {
            answer_count.copy_from_slice(&count.to_be_bytes());
        }
        self.first = false;
        Some(Ok(bytes))
    }
}

/// The question as written in a transfer's first message: its name in plain labels, never
/// remembered as a compression target, so nothing in the message points into it and the question
/// of a packed transfer can be replaced by the asked one (same name, other case) afterwards.
fn emit_question(
    encoder: &mut BinEncoder<'_>,
    question: &Query,
) -> Result<(), hickory_proto::ProtoError> {
    for label in question.name().iter() {
        encoder.emit_character_data(label)?;
    }
    encoder.emit(0)?;
    question.query_type().emit(encoder)?;
    question.query_class().emit(encoder)
}

/// The octets `emit_question` writes, alone.
pub fn question_bytes(question: &Query) -> Result<Vec<u8>, PackError> {
    let mut bytes = Vec::with_capacity(question.name().len() + 6);
    let mut encoder = BinEncoder::new(&mut bytes);
    emit_question(&mut encoder, question)
        .map_err(|error| PackError::Encoding(error.to_string()))?;
    Ok(bytes)
}

/// Where each name suffix written in the current message starts, for compression pointers.
/// hickory's encoder compresses only the first 120 names of a message (a limit against hostile
/// messages, from Unbound), which leaves most of a 16 KiB transfer message uncompressed; owners
/// and the names in NS, CNAME, PTR and MX data (compressible, RFC 3597 §4) are compressed here
/// instead. Bounded by the names one message holds; one table per message.
#[derive(Default)]
struct NameTable {
    offsets: HashMap<Vec<u8>, u16>,
    /// Scratch: the owner in lowercase wire form, and where each of its labels starts.
    wire: Vec<u8>,
    starts: Vec<usize>,
}

/// A compression pointer reaches the first 16,383 octets of a message (RFC 1035 §4.1.4).
const POINTER_REACH: usize = 0x3FFF;

impl NameTable {
    /// Writes `name`, ending in a pointer to the longest suffix already written in this message.
    fn emit(
        &mut self,
        encoder: &mut BinEncoder<'_>,
        name: &Name,
    ) -> Result<(), hickory_proto::ProtoError> {
        self.wire.clear();
        self.starts.clear();
        for label in name.iter() {
            self.starts.push(self.wire.len());
            self.wire.push(label.len() as u8);
            self.wire.extend(label.iter().map(u8::to_ascii_lowercase));
        }
        self.wire.push(0);
        let start = encoder.offset();
        let found = self.starts.iter().enumerate().find_map(|(index, &from)| {
            self.offsets
                .get(&self.wire[from..])
                .map(|&offset| (index, offset))
        });
        let literal = found.map_or(self.starts.len(), |(index, _)| index);
        // The labels before the shared suffix, in the owner's own case.
        for label in name.iter().take(literal) {
            encoder.emit_character_data(label)?;
        }
        match found {
            Some((_, offset)) => encoder.emit_u16(0xC000 | offset)?,
            None => encoder.emit(0)?,
        }
        for &from in self.starts.iter().take(literal) {
            let at = start + from;
            if at < POINTER_REACH {
                if let Ok(at) = u16::try_from(at) {
                    self.offsets.insert(self.wire[from..].to_vec(), at);
                }
            }
        }
        Ok(())
    }
}

/// One record as `Record::emit` writes it, but with its names compressed through `names`.
fn emit_record(
    encoder: &mut BinEncoder<'_>,
    record: &Record,
    names: &mut NameTable,
) -> Result<(), hickory_proto::ProtoError> {
    names.emit(encoder, &record.name)?;
    record.record_type().emit(encoder)?;
    record.dns_class.emit(encoder)?;
    encoder.emit_u32(record.ttl)?;
    let place = encoder.place::<u16>()?;
    match &record.data {
        RData::MX(mx) => {
            encoder.emit_u16(mx.preference)?;
            names.emit(encoder, &mx.exchange)?;
        }
        RData::NS(target) => names.emit(encoder, &target.0)?,
        RData::CNAME(target) => names.emit(encoder, &target.0)?,
        RData::PTR(target) => names.emit(encoder, &target.0)?,
        data if !data.is_update() => data.emit(encoder)?,
        _ => {}
    }
    let length = encoder.len_since_place(&place);
    let length = u16::try_from(length)
        .map_err(|_| hickory_proto::ProtoError::from("record data longer than 65535 octets"))?;
    place.replace(encoder, length)
}

/// One answer message: `rcode`, the question echoed, `answers` (e.g. the SOA alone).
pub fn single_answer(
    id: u16,
    question: Option<&Query>,
    rcode: ResponseCode,
    answers: &[Record],
    op_code: OpCode,
) -> Vec<u8> {
    let mut message = Message::new(id, MessageType::Response, op_code);
    message.metadata.authoritative = rcode == ResponseCode::NoError;
    message.metadata.response_code = rcode;
    if let Some(question) = question {
        message.add_query(question.clone());
    }
    for record in answers {
        message.add_answer(record.clone());
    }
    // A message of one question and a few records always encodes; an empty reply is the fallback.
    message.to_vec().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::TXT;
    use hickory_proto::rr::{Name, RData, RecordType};

    fn question() -> Query {
        Query::query(Name::from_ascii("example.test.").unwrap(), RecordType::AXFR)
    }

    fn txt(index: usize, size: usize) -> Record {
        Record::from_rdata(
            Name::from_ascii(format!("n{index}.example.test.")).unwrap(),
            300,
            RData::TXT(TXT::new(vec!["x".repeat(size.min(255)); size / 255 + 1])),
        )
    }

    #[test]
    fn many_records_take_several_messages_that_decode_back() {
        let records: Vec<Record> = (0..2000).map(|index| txt(index, 40)).collect();
        let mut packer = TransferPacker::new(7, question(), records.iter());
        let mut decoded = Vec::new();
        let mut messages = 0;
        while let Some(message) = packer.next_message() {
            let bytes = message.unwrap();
            assert!(bytes.len() <= MAX_TCP_PAYLOAD - TSIG_RECORD_RESERVE_BYTES);
            let message = Message::from_vec(&bytes).unwrap();
            assert_eq!(message.queries.len(), usize::from(messages == 0));
            assert!(message.metadata.authoritative);
            decoded.extend(message.answers);
            messages += 1;
        }
        assert!(messages > 1, "{messages}");
        assert_eq!(decoded, records);
    }

    #[test]
    fn names_in_record_data_are_compressed_and_decode_back() {
        use hickory_proto::rr::rdata::{CNAME, MX, NS};
        let name = |index: usize| Name::from_ascii(format!("h{index}.example.test.")).unwrap();
        let records: Vec<Record> = (0..1500)
            .map(|index| {
                let data = match index % 3 {
                    0 => RData::MX(MX::new(10, name(index + 1))),
                    1 => RData::CNAME(CNAME(name(index + 1))),
                    _ => RData::NS(NS(name(index + 1))),
                };
                Record::from_rdata(name(index), 300, data)
            })
            .collect();
        let mut packer = TransferPacker::new(7, question(), records.iter());
        let mut decoded = Vec::new();
        let mut messages = 0;
        while let Some(message) = packer.next_message() {
            decoded.extend(Message::from_vec(&message.unwrap()).unwrap().answers);
            messages += 1;
        }
        assert_eq!(decoded, records);
        // Each target is the next record's owner: written once, pointed at once. Uncompressed, a
        // record here is ~40 octets (1,500 of them: 4 messages); compressed, ~20 (2 messages).
        assert!(messages <= 2, "{messages} messages");
    }

    #[test]
    fn a_large_record_moves_to_the_next_message() {
        let records: Vec<Record> = (0..8).map(|index| txt(index, 15_000)).collect();
        let mut packer = TransferPacker::new(7, question(), records.iter());
        let mut total = 0;
        while let Some(message) = packer.next_message() {
            total += Message::from_vec(&message.unwrap()).unwrap().answers.len();
        }
        assert_eq!(total, 8);
    }
}
