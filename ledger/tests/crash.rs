//! Crash safety: a child process appends through the sequencer and reports every
//! acknowledgement and checkpoint; the parent SIGKILLs it mid-flight and checks that the
//! reopened store holds every acknowledged entry and agrees with every printed checkpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ledger::{
    Hash, Log, NoteSigner, Sequencer, SequencerConfig, SignedCheckpoint, Store,
    proof::verify_consistency,
};

const CHILD_ENV: &str = "LEDGER_CRASH_CHILD_DIR";
const ORIGIN: &str = "crash.example/log";

fn entry(seq: u64) -> Vec<u8> {
    format!("crash-entry-{seq}").into_bytes()
}

fn signer() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, [42; 32]).unwrap()
}

/// The child: runs only when the parent sets the environment variable.
#[test]
fn crash_child_appends_forever() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let log = Log::open(Store::open(&dir).unwrap(), ORIGIN).unwrap();
    let cfg = SequencerConfig {
        checkpoint_interval: Duration::from_millis(20),
        max_batch: 512,
        on_checkpoint: Some(Arc::new(|cp: &SignedCheckpoint| {
            let mut out = std::io::stdout().lock();
            writeln!(out, "cp {} {}", cp.size(), cp.root().to_base64()).unwrap();
            out.flush().unwrap();
        })),
    };
    let seq = Sequencer::start(log, signer(), cfg).unwrap();
    let in_flight = Arc::new(AtomicUsize::new(0));
    for n in 0u64.. {
        while in_flight.load(Ordering::Acquire) > 2000 {
            std::thread::sleep(Duration::from_micros(200));
        }
        in_flight.fetch_add(1, Ordering::AcqRel);
        let counter = in_flight.clone();
        seq.submit(
            entry(n),
            vec![],
            Box::new(move |r| {
                let r = r.unwrap();
                let mut out = std::io::stdout().lock();
                writeln!(out, "ack {} {n}", r.index).unwrap();
                out.flush().unwrap();
                counter.fetch_sub(1, Ordering::AcqRel);
            }),
        );
    }
}

#[test]
fn acknowledged_entries_survive_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child_appends_forever",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut acks: Vec<(u64, u64)> = Vec::new();
    let mut checkpoints: Vec<(u64, Hash)> = Vec::new();
    let parse = |line: &str, acks: &mut Vec<(u64, u64)>, cps: &mut Vec<(u64, Hash)>| {
        let parts: Vec<&str> = line.split(' ').collect();
        match parts.as_slice() {
            ["ack", index, seq] => acks.push((index.parse().unwrap(), seq.parse().unwrap())),
            ["cp", size, root] => {
                cps.push((size.parse().unwrap(), Hash::from_base64(root).unwrap()))
            }
            _ => {}
        }
    };
    let started = Instant::now();
    while acks.len() < 3000 || checkpoints.len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "child too slow: {} acks, {} checkpoints",
            acks.len(),
            checkpoints.len()
        );
        let Some(line) = lines.next() else {
            panic!("child exited early after {} acks", acks.len());
        };
        parse(&line.unwrap(), &mut acks, &mut checkpoints);
    }
    child.kill().unwrap();
    // Whatever the child printed before dying was acknowledged too.
    for line in lines {
        let Ok(line) = line else { break };
        parse(&line, &mut acks, &mut checkpoints);
    }
    child.wait().unwrap();

    let log = Log::open(Store::open(dir.path()).unwrap(), ORIGIN).unwrap();
    let size = log.tree_size();
    for &(index, seq) in &acks {
        assert!(
            index < size,
            "acknowledged index {index} lost (size {size})"
        );
        assert_eq!(log.leaf(index).unwrap(), entry(seq), "content of {index}");
    }
    let verifier = signer().verifier();
    let final_root = log.root();
    for &(cp_size, root) in &checkpoints {
        assert_eq!(log.root_at(cp_size).unwrap(), root, "checkpoint {cp_size}");
        let stored = log
            .checkpoint_at(cp_size)
            .unwrap()
            .expect("printed checkpoint stored");
        SignedCheckpoint::open(stored.note_bytes(), &[&verifier]).unwrap();
        assert_eq!(stored.root(), root);
        let proof = log.consistency_proof(cp_size, size).unwrap();
        verify_consistency(cp_size, size, &root, &final_root, &proof).unwrap();
    }
    eprintln!(
        "crash test: {} acks, {} checkpoints, {} entries after recovery",
        acks.len(),
        checkpoints.len(),
        size
    );
}
