//! Decoding HTTP long-polling bodies (engine.io-protocol v4, "HTTP long-polling"
//! packet encoding): records joined by the `0x1e` separator, binary records as
//! `b`+base64.
//!
//! The body is validated as UTF-8 once; every text record is then a slice of it.
//! [`PayloadDecoder`] yields packets one by one without allocating;
//! [`decode_payload`] collects them.

use bytes::Bytes;

use super::decode::decode_record;
use super::encode::RECORD_SEPARATOR;
use super::packet::Packet;
use crate::{Error, Limits, Result, Str};

/// Iterator over the packets of one polling body.
///
/// Yields `Err` for the first bad record (with its index) and then stops.
#[derive(Debug, Clone)]
pub struct PayloadDecoder {
    rest: Option<Str>,
    index: usize,
    max_packets: usize,
}

impl PayloadDecoder {
    /// Checks the body's size and UTF-8 once, then iterates over its records.
    pub fn new(body: Bytes, limits: &Limits) -> Result<Self> {
        limits.check_payload_size(body.len())?;
        let body = Str::from_utf8(body).map_err(|e| Error::InvalidUtf8 {
            offset: e.valid_up_to,
        })?;
        Ok(Self::from_str(body, limits))
    }

    /// Iterates over the records of an already-validated body.
    pub fn from_str(body: Str, limits: &Limits) -> Self {
        PayloadDecoder {
            rest: Some(body),
            index: 0,
            max_packets: limits.max_packets_per_payload,
        }
    }
}

impl Iterator for PayloadDecoder {
    type Item = Result<Packet>;

    fn next(&mut self) -> Option<Result<Packet>> {
        let mut rest = self.rest.take()?;
        if self.index >= self.max_packets {
            return Some(Err(Error::TooManyPackets {
                max: self.max_packets,
            }));
        }
        let index = self.index;
        self.index += 1;
        let record = match memchr::memchr(RECORD_SEPARATOR, rest.as_bytes()) {
            Some(at) => {
                let record = rest.split_to(at);
                rest.advance(1);
                self.rest = Some(rest);
                record
            }
            // The last record takes the body itself: no reference-count traffic.
            None => rest,
        };
        let result = decode_record(record, index);
        if result.is_err() {
            self.rest = None;
        }
        Some(result)
    }
}

impl std::iter::FusedIterator for PayloadDecoder {}

/// Decodes a whole polling body into its packets.
///
/// Fails on the first bad record; no packet of a bad body is returned, since the
/// protocol closes the session on any malformed body.
pub fn decode_payload(body: Bytes, limits: &Limits) -> Result<Vec<Packet>> {
    let decoder = PayloadDecoder::new(body, limits)?;
    // Sized once from the separators actually present (a fast SIMD count),
    // capped by the packet limit.
    let records = decoder.rest.as_ref().map_or(0, |b| {
        memchr::memchr_iter(RECORD_SEPARATOR, b.as_bytes()).count() + 1
    });
    let mut packets = Vec::with_capacity(records.min(limits.max_packets_per_payload));
    for packet in decoder {
        packets.push(packet?);
    }
    Ok(packets)
}
