//! The exporter's wallet: an encrypted store of the holder key and permit credentials with
//! their evidence bundles, receiving over OpenID4VCI, presentations bound to a verifier's
//! challenge and domain, and the compact QR reference.
//!
//! - [`store`]: the wallet directory (argon2id + XChaCha20-Poly1305, atomic writes).
//! - [`receive`]: OpenID4VCI pre-authorised code flow; evidence refresh from a node.
//! - [`present`]: a presentation of held credentials; [`show`]: a permit's boxes for people.
//! - [`reference`]: the QR reference a verifier resolves against its replica.

pub mod receive;
pub mod show;
pub mod store;

use anyhow::bail;
use credentials::keys::SecretKey;
use credentials::{Mechanism, Secured, Signer, presentation};
pub use store::{Held, Wallet, WalletError};

/// A presentation of `credentials` answering `challenge` for `domain`, refusing credentials
/// issued to another holder.
pub fn present(
    key: SecretKey,
    credentials: &[Secured],
    mechanism: Mechanism,
    challenge: &str,
    domain: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Secured> {
    if challenge.trim().is_empty() || domain.trim().is_empty() {
        bail!("a presentation needs the verifier's challenge and domain");
    }
    let signer = Signer::holder(key)?;
    for c in credentials {
        let vc = c.unverified_document()?;
        let subject = vc["credentialSubject"]["id"].as_str().unwrap_or_default();
        if subject != signer.public().did_key() {
            bail!(
                "the credential was issued to {subject}, not to this wallet's holder {}",
                signer.public().did_key()
            );
        }
    }
    let vp = presentation::build(&signer.public().did_key(), credentials);
    let created = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    Ok(signer.present(&vp, mechanism, &created, challenge, domain)?)
}

/// The compact reference of a held permit, for a QR code: issuing Party and number, the
/// credential's SHA-256, and its issuance entry's log and index (from the evidence), so a
/// verifier's node finds it in its replica: `CITES1:GH/GH2026000001:<hex>:cites.example/gh:41`.
pub fn reference(held: &Held) -> anyhow::Result<String> {
    let digest = hex::encode(held.credential.digest());
    let Some(evidence) = &held.evidence else {
        bail!(
            "no evidence bundle for {} yet: run `cites-wallet refresh`",
            held.permit
        );
    };
    let (Some(origin), Some(index)) = (
        evidence["log"]["origin"].as_str(),
        evidence["log"]["index"].as_u64(),
    ) else {
        bail!(
            "the evidence bundle of {} names no log position",
            held.permit
        );
    };
    Ok(format!("CITES1:{}:{digest}:{origin}:{index}", held.permit))
}

/// A QR code of `text` for a terminal (two rows of modules per line).
pub fn qr_text(text: &str) -> anyhow::Result<String> {
    let code = qrcode::QrCode::new(text.as_bytes())?;
    Ok(code
        .render::<qrcode::render::unicode::Dense1x2>()
        .quiet_zone(true)
        .build())
}

/// A QR code of `text` as a PNG image (8 pixels per module).
pub fn qr_png(text: &str) -> anyhow::Result<Vec<u8>> {
    let code = qrcode::QrCode::new(text.as_bytes())?;
    let width = code.width();
    let (scale, quiet) = (8usize, 4usize);
    let side = (width + 2 * quiet) * scale;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; side * side];
    for y in 0..width {
        for x in 0..width {
            if colors[y * width + x] == qrcode::Color::Dark {
                for dy in 0..scale {
                    let row = (y + quiet) * scale + dy;
                    let start = row * side + (x + quiet) * scale;
                    pixels[start..start + scale].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let side = u32::try_from(side)?;
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header()?.write_image_data(&pixels)?;
    }
    Ok(out)
}
