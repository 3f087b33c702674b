#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

/// One message of each kind: the fuzz target's seeds (`fuzz/seeds/p2p_message/`) are their
/// encodings.
fn samples() -> Vec<(&'static str, Vec<u8>)> {
    let origin = "cites.example/gh".to_owned();
    let hash = ByteBuf::from(vec![7; 32]);
    let requests = [
        (
            "checkpoint",
            Request::Checkpoint {
                origin: origin.clone(),
            },
        ),
        (
            "entries",
            Request::Entries {
                origin: origin.clone(),
                start: 0,
                end: 2,
                to: 3,
            },
        ),
        (
            "consistency",
            Request::Consistency {
                origin,
                old: 1,
                new: 3,
            },
        ),
        (
            "add-checkpoint",
            Request::AddCheckpoint {
                body: ByteBuf::from(b"old 0\n\ncites.example/gh\n1\nAAAA\n".to_vec()),
            },
        ),
        (
            "epix",
            Request::Epix {
                jws: "e30.e30.c2ln".into(),
            },
        ),
        ("heads", Request::Heads),
    ];
    let responses = [
        (
            "entries-answer",
            Response::Entries {
                entries: vec![ByteBuf::from(b"leaf".to_vec())],
                proof: vec![hash.clone()],
            },
        ),
        (
            "epix-answer",
            Response::Epix(epix::Answer::Fault {
                fault: epix::Fault::NotFinal,
                reason: "not endorsed".into(),
            }),
        ),
        (
            "heads-answer",
            Response::Heads {
                heads: vec![("cites.example/gh".into(), 3)],
            },
        ),
        (
            "refused",
            Response::Refused {
                code: 404,
                reason: "no such log".into(),
            },
        ),
    ];
    let mut all: Vec<_> = requests.iter().map(|(n, r)| (*n, encode(r))).collect();
    all.extend(responses.iter().map(|(n, r)| (*n, encode(r))));
    all
}

#[test]
fn messages_come_back_as_they_were_sent() {
    let request = Request::Entries {
        origin: "o".into(),
        start: 5,
        end: 9,
        to: 12,
    };
    assert_eq!(decode_request(&encode(&request)).ok(), Some(request));
    let response = Response::Consistency {
        proof: proof_to_wire(&[ledger::Hash::from_slice(&[1; 32]).unwrap()]),
    };
    assert_eq!(decode_response(&encode(&response)).ok(), Some(response));
}

#[test]
fn garbage_and_the_wrong_direction_are_refused() {
    assert!(decode_request(b"\xff\x00garbage").is_err());
    assert!(decode_request(&encode(&Response::Conflict { size: 3 })).is_err());
    let short = vec![ByteBuf::from(vec![0; 31])];
    assert!(matches!(
        proof_from_wire(&short),
        Err(WireError::ProofHash(31))
    ));
}

#[test]
fn ranges_outside_the_log_or_too_long_are_refused() {
    let entries = |start, end, to| Request::Entries {
        origin: "o".into(),
        start,
        end,
        to,
    };
    assert_eq!(entries(0, 10, 10).range_problem(10), None);
    assert_eq!(entries(3, 5, 10).range_problem(10), None);
    for bad in [
        entries(5, 5, 10),
        entries(6, 5, 10),
        entries(0, 11, 11),
        entries(0, 5, 4),
        entries(u64::MAX, u64::MAX, u64::MAX),
    ] {
        assert!(bad.range_problem(10).is_some(), "{bad:?}");
    }
    let held = MAX_ENTRIES + 1;
    assert!(entries(0, held, held).range_problem(held).is_some());
    let consistency = |old, new| Request::Consistency {
        origin: "o".into(),
        old,
        new,
    };
    assert_eq!(consistency(1, 10).range_problem(10), None);
    assert!(consistency(0, 10).range_problem(10).is_some());
    assert!(consistency(5, 4).range_problem(10).is_some());
    assert!(consistency(1, 11).range_problem(10).is_some());
    assert_eq!(Request::Heads.range_problem(0), None);
}

#[test]
fn the_fuzz_seeds_are_these_messages() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/p2p_message");
    for (name, bytes) in samples() {
        let path = dir.join(name);
        if std::env::var_os("CITES_WRITE_SEEDS").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let seed = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (CITES_WRITE_SEEDS=1 cargo test -p protocol writes the seeds)",
                path.display()
            )
        });
        assert_eq!(seed, bytes, "{name}");
    }
}
