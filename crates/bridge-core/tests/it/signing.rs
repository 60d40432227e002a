//! Signatures checked against independent implementations and by property tests.

use std::path::PathBuf;
use std::process::Command;

use bridge_core::signing::SignatureError;
use bridge_core::signing::jaibber::JaibberSigner;
use bridge_core::signing::standard::{StandardHeaders, StandardSigner};
use proptest::prelude::*;
use serde::Deserialize;

use crate::fixture;

#[derive(Deserialize, PartialEq, Debug)]
struct Vectors {
    jaibber: Vec<JaibberVector>,
    standard: Vec<StandardVector>,
}

#[derive(Deserialize, PartialEq, Debug)]
struct JaibberVector {
    secret: String,
    body: String,
    signature: String,
}

#[derive(Deserialize, PartialEq, Debug)]
struct StandardVector {
    secret: String,
    msg_id: String,
    timestamp: i64,
    body: String,
    signature: String,
}

fn check_vectors(vectors: &Vectors) {
    assert!(!vectors.jaibber.is_empty() && !vectors.standard.is_empty());
    for v in &vectors.jaibber {
        let signer = JaibberSigner::new(&v.secret).expect("secret");
        assert_eq!(signer.sign(v.body.as_bytes()), v.signature, "jaibber vector for body {:?}", v.body);
        assert_eq!(signer.verify(v.body.as_bytes(), &v.signature), Ok(()));
    }
    for v in &vectors.standard {
        let signer = StandardSigner::from_secret(&v.secret).expect("secret");
        assert_eq!(signer.sign(&v.msg_id, v.timestamp, v.body.as_bytes()), v.signature);
        let headers = StandardHeaders { id: &v.msg_id, timestamp: &v.timestamp.to_string(), signature: &v.signature };
        assert_eq!(signer.verify(&headers, v.body.as_bytes(), v.timestamp), Ok(()));
    }
}

#[test]
fn committed_vectors_from_python_hmac_match() {
    let vectors: Vectors = serde_json::from_str(&fixture("signing-vectors.json")).expect("vectors");
    check_vectors(&vectors);
}

/// Runs `scripts/signing_vectors.py` (Python's `hmac` module) now and compares. The
/// test command installs nothing for this: CPython 3 is part of the machine image.
#[test]
fn python_hmac_agrees_live() {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/signing_vectors.py");
    let output =
        Command::new("python3").arg(&script).output().expect("python3 must be installed to cross-check signatures");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let live: Vectors = serde_json::from_slice(&output.stdout).expect("script prints JSON");
    check_vectors(&live);
    let committed: Vectors = serde_json::from_str(&fixture("signing-vectors.json")).expect("vectors");
    assert_eq!(live, committed, "regenerate tests/fixtures/signing-vectors.json with the script");
}

proptest! {
    #[test]
    fn jaibber_sign_then_verify_round_trips(secret in "[ -~]{1,64}", body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let signer = JaibberSigner::new(&secret).expect("non-empty");
        prop_assert_eq!(signer.verify(&body, &signer.sign(&body)), Ok(()));
    }

    #[test]
    fn jaibber_any_flipped_body_byte_fails(body in proptest::collection::vec(any::<u8>(), 1..1024), index in any::<prop::sample::Index>(), bit in 0u8..8) {
        let signer = JaibberSigner::new("whsec_property").expect("secret");
        let signature = signer.sign(&body);
        let mut tampered = body.clone();
        tampered[index.index(body.len())] ^= 1 << bit;
        prop_assert_eq!(signer.verify(&tampered, &signature), Err(SignatureError::Mismatch));
    }

    #[test]
    fn jaibber_any_flipped_signature_digit_fails(body in proptest::collection::vec(any::<u8>(), 0..256), index in 7usize..71) {
        let signer = JaibberSigner::new("whsec_property").expect("secret");
        let mut signature = signer.sign(&body).into_bytes();
        signature[index] = if signature[index] == b'0' { b'1' } else { b'0' };
        let signature = String::from_utf8(signature).expect("ascii");
        prop_assert_eq!(signer.verify(&body, &signature), Err(SignatureError::Mismatch));
    }

    #[test]
    fn standard_sign_then_verify_round_trips(key in proptest::collection::vec(any::<u8>(), 16..64), id in "msg_[a-zA-Z0-9]{1,24}", ts in 1_000_000_000i64..4_000_000_000, body in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let signer = StandardSigner::from_bytes(&key).expect("key");
        let signature = signer.sign(&id, ts, &body);
        let headers = StandardHeaders { id: &id, timestamp: &ts.to_string(), signature: &signature };
        prop_assert_eq!(signer.verify(&headers, &body, ts), Ok(()));
    }

    #[test]
    fn standard_any_flipped_byte_fails(body in proptest::collection::vec(any::<u8>(), 1..512), index in any::<prop::sample::Index>(), bit in 0u8..8) {
        let signer = StandardSigner::from_bytes(&[7u8; 32]).expect("key");
        let signature = signer.sign("msg_1", 1_700_000_000, &body);
        let mut tampered = body.clone();
        tampered[index.index(body.len())] ^= 1 << bit;
        let headers = StandardHeaders { id: "msg_1", timestamp: "1700000000", signature: &signature };
        prop_assert_eq!(signer.verify(&headers, &tampered, 1_700_000_000), Err(SignatureError::Mismatch));
    }

    #[test]
    fn verify_never_panics_on_garbage_headers(header in ".{0,100}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
        let signer = JaibberSigner::new("whsec_property").expect("secret");
        prop_assert!(signer.verify(&body, &header).is_err());
    }
}
