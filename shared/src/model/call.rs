//! Voice call records (CONTRACT §2.2): one per call leg; transfer legs join their first leg's
//! conversation.

use std::fmt;

use rand::Rng;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::VendorCallKey;

/// Our id of a voice call record: 18 characters, Salesforce style, key prefix `0LQ`, with the
/// case-insensitive checksum suffix Salesforce ids carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VoiceCallId(String);

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const VOICE_CALL_PREFIX: &str = "0LQ";

impl VoiceCallId {
    /// A fresh random id (62^12 possibilities; the store refuses the rare collision).
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let mut id = String::with_capacity(18);
        id.push_str(VOICE_CALL_PREFIX);
        for _ in 0..12 {
            id.push(char::from(BASE62[rng.random_range(0..62)]));
        }
        let suffix = checksum(&id);
        id.push_str(&suffix);
        Self(id)
    }

    /// An 18-character `0LQ` id with a valid checksum.
    pub fn parse(raw: &str) -> Option<Self> {
        let well_formed = raw.len() == 18
            && raw.starts_with(VOICE_CALL_PREFIX)
            && raw.bytes().all(|b| b.is_ascii_alphanumeric())
            && checksum(&raw[..15]) == raw[15..];
        well_formed.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VoiceCallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Salesforce's 3-character suffix: for each 5-character chunk, a bit per upper-case letter.
fn checksum(id15: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    id15.as_bytes()
        .chunks(5)
        .map(|chunk| {
            let bits = chunk
                .iter()
                .enumerate()
                .filter(|(_, b)| b.is_ascii_uppercase())
                .fold(0usize, |acc, (i, _)| acc | (1 << i));
            char::from(ALPHABET[bits])
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitiationMethod {
    Inbound,
    Outbound,
    Transfer,
    Callback,
}

impl InitiationMethod {
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Inbound,
            Self::Outbound,
            Self::Transfer,
            Self::Callback,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(raw))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "Inbound",
            Self::Outbound => "Outbound",
            Self::Transfer => "Transfer",
            Self::Callback => "Callback",
        }
    }
}

/// An instant given as ISO-8601 (RFC 3339) text, kept as given and as epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instant {
    pub text: String,
    pub epoch_millis: i64,
}

impl Instant {
    pub fn parse(raw: &str) -> Option<Self> {
        let at = OffsetDateTime::parse(raw.trim(), &Rfc3339).ok()?;
        let epoch_millis = i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()?;
        // "9999-12-31T23:59:59-01:00" parses, yet is year 10000 in UTC.
        u64::try_from(epoch_millis)
            .map_or(true, |m| m <= crate::validate::LAST_MILLI_OF_YEAR_9999)
            .then_some(())?;
        Some(Self {
            text: raw.trim().to_owned(),
            epoch_millis,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallParticipant {
    pub participant_key: String,
    /// `END_USER` for the customer; other Salesforce types are kept as given.
    pub kind: String,
}

/// A validated `POST /voiceCalls` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVoiceCall {
    pub call_center_api_name: String,
    pub vendor_call_key: VendorCallKey,
    pub to: String,
    pub from: String,
    pub initiation_method: InitiationMethod,
    pub start_time: Instant,
    pub participants: Vec<CallParticipant>,
    pub parent_voice_call_id: Option<VoiceCallId>,
    pub call_origin: Option<String>,
    pub queue: Option<String>,
    pub call_subtype: Option<String>,
    /// A JSON document given as a string, kept as given.
    pub call_attributes: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_18_characters_with_a_valid_checksum() {
        for _ in 0..200 {
            let id = VoiceCallId::generate();
            assert_eq!(id.as_str().len(), 18);
            assert!(id.as_str().starts_with("0LQ"));
            assert_eq!(VoiceCallId::parse(id.as_str()), Some(id));
        }
    }

    #[test]
    fn checksum_matches_salesforce() {
        // A well-known Salesforce id pair: 15-character form and its 18-character form.
        assert_eq!(checksum("001A0000006Vm9r"), "IAC");
        assert!(VoiceCallId::parse("0LQ000000000001GAA").is_some());
        assert!(VoiceCallId::parse("0LQ000000000001AAA").is_none());
        assert!(VoiceCallId::parse("5324881f-1e84-4367-8930-f69a74b30ca6").is_none());
    }

    #[test]
    fn instants_are_rfc3339() {
        let t = Instant::parse("2026-11-23T16:00:00.250Z").unwrap();
        assert_eq!(t.epoch_millis, 1_795_449_600_250);
        assert_eq!(
            Instant::parse("2026-11-23T17:00:00+01:00")
                .unwrap()
                .epoch_millis,
            1_795_449_600_000
        );
        assert!(Instant::parse("yesterday").is_none());
        assert!(Instant::parse("2026-11-23").is_none());
    }
}
