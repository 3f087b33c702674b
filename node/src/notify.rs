//! Telling people and systems that something waits for them: every feed event is mailed to the
//! users it is for (through the MA's SMTP relay) and posted to the configured webhooks, signed
//! with HMAC-SHA256 (`x-cites-signature: sha256=HEX`, key in `keys/webhook.key`).
//!
//! Delivery is at least once, in order, per channel: each (mail, every webhook) follows the feed
//! on its own cursor in `node_meta`, which moves past an event once the channel took it (or
//! after [`MAX_ATTEMPTS`], logged). A dead webhook delays only itself; a crash repeats at most
//! the event in flight; a new channel starts at the present, not at the start of history.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::audit::FeedEvent;
use crate::http::AppState;

/// Attempts per event before it is given up (with back-off: about ten minutes in all).
pub const MAX_ATTEMPTS: u32 = 8;

/// Where notifications go (the `[notify]` table of the config).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// The SMTP relay, `host:port` (STARTTLS is used when the relay offers it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp: Option<String>,
    /// The sender address, e.g. `cites-permits@ma.example`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// URLs that receive every event as JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<String>,
}

impl NotifyConfig {
    /// Whether anything is configured.
    pub fn is_empty(&self) -> bool {
        self.smtp.is_none() && self.webhooks.is_empty()
    }

    /// Refuses a relay without a sender or a malformed address.
    pub fn check(&self) -> anyhow::Result<()> {
        if let Some(relay) = &self.smtp {
            relay_parts(relay)?;
            let from = self
                .from
                .as_deref()
                .context("notify.from is needed with notify.smtp")?;
            from.parse::<lettre::Address>()
                .map_err(|e| anyhow::anyhow!("notify.from {from:?}: {e}"))?;
        }
        for w in &self.webhooks {
            if !(w.starts_with("http://") || w.starts_with("https://")) {
                anyhow::bail!("notify.webhooks: {w:?} is not an http(s) URL");
            }
        }
        Ok(())
    }
}

fn relay_parts(relay: &str) -> anyhow::Result<(String, u16)> {
    let (host, port) = relay
        .rsplit_once(':')
        .with_context(|| format!("notify.smtp {relay:?} is not host:port"))?;
    let port = port
        .parse()
        .with_context(|| format!("notify.smtp {relay:?}: bad port"))?;
    Ok((host.to_owned(), port))
}

/// Whether an e-mail address is one the relay can take.
pub fn valid_email(address: &str) -> bool {
    address.parse::<lettre::Address>().is_ok()
}

/// The webhook signing key (created on first use, 0600 like every key).
pub fn webhook_key(config: &crate::config::Config) -> anyhow::Result<String> {
    let path = config.data_dir.join("keys").join("webhook.key");
    if !path.exists() {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        crate::keys::write_secret(&path, hex::encode(bytes).as_bytes())?;
    }
    crate::keys::read_secret(&path, "webhook key")
}

/// The `x-cites-signature` header value of a body.
pub fn signature(key: &str, body: &[u8]) -> anyhow::Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .map_err(|e| anyhow::anyhow!("webhook key: {e}"))?;
    mac.update(body);
    Ok(format!(
        "sha256={}",
        hex::encode(mac.finalize().into_bytes())
    ))
}

fn mail(state: &AppState, event: &FeedEvent) -> anyhow::Result<()> {
    let notify = &state.config.notify;
    let Some(relay) = &notify.smtp else {
        return Ok(());
    };
    let recipients: Vec<_> = state
        .users
        .list()?
        .into_iter()
        .filter(|u| {
            !u.disabled
                && (event.for_roles.contains(&u.role)
                    || event.for_user.as_deref() == Some(u.username.as_str()))
        })
        .filter_map(|u| u.email.clone())
        .collect();
    if recipients.is_empty() {
        return Ok(());
    }
    let from: lettre::message::Mailbox = notify
        .from
        .as_deref()
        .context("notify.from is not set")?
        .parse()
        .context("notify.from")?;
    let mut builder = lettre::Message::builder()
        .from(from.clone())
        .to(from)
        .subject(format!("[{}] {}", state.config.name, event.summary));
    for r in &recipients {
        builder = builder.bcc(r.parse().with_context(|| format!("address {r:?}"))?);
    }
    let body = format!(
        "{}\n\nWhat: {}\nAbout: {}\nWhen: {}\n\nOpen {}/ to act on it.\n",
        event.summary,
        event.kind,
        event.subject,
        event.at.format("%Y-%m-%d %H:%M UTC"),
        state.base_url
    );
    let message = builder.body(body).context("cannot build the message")?;
    let (host, port) = relay_parts(relay)?;
    use lettre::Transport;
    let tls = lettre::transport::smtp::client::TlsParameters::new(host.clone())
        .context("TLS parameters for the relay")?;
    let transport = lettre::SmtpTransport::builder_dangerous(&host)
        .port(port)
        .tls(lettre::transport::smtp::client::Tls::Opportunistic(tls))
        .timeout(Some(Duration::from_secs(20)))
        .build();
    transport
        .send(&message)
        .with_context(|| format!("the SMTP relay {relay} refused the message"))?;
    Ok(())
}

fn post_webhook(state: &AppState, url: &str, key: &str, event: &FeedEvent) -> anyhow::Result<()> {
    let body = serde_json::to_vec(event)?;
    let r = state
        .peers_http
        .post(url)
        .header("content-type", "application/json")
        .header("x-cites-signature", &signature(key, &body)?)
        .header("x-cites-event", &event.kind)
        .send(&body[..])
        .with_context(|| format!("webhook {url}"))?;
    if !r.status().is_success() {
        anyhow::bail!("webhook {url} answered {}", r.status());
    }
    Ok(())
}

/// One way out: mail, or one webhook. Each follows the feed on its own cursor, so a dead
/// webhook delays only itself.
#[derive(Clone)]
enum Channel {
    Mail,
    Webhook(String),
}

impl Channel {
    fn cursor_key(&self) -> Vec<u8> {
        match self {
            Channel::Mail => b"notify-next/mail".to_vec(),
            Channel::Webhook(url) => format!("notify-next/webhook/{url}").into_bytes(),
        }
    }

    fn deliver(&self, state: &AppState, key: &str, event: &FeedEvent) -> anyhow::Result<()> {
        match self {
            Channel::Mail => mail(state, event),
            Channel::Webhook(url) => post_webhook(state, url, key, event),
        }
    }
}

fn advance(store: &ledger::Store, channel: &Channel, next: u64) -> anyhow::Result<()> {
    crate::audit::commit(
        store,
        vec![ledger::SideWrite {
            cf: crate::store::CF_META.into(),
            key: channel.cursor_key(),
            value: next.to_be_bytes().to_vec(),
        }],
    )
}

/// Delivers events as they are written, one task per channel, until `shutdown`.
pub async fn run(state: Arc<AppState>, shutdown: tokio::sync::watch::Receiver<bool>) {
    let notify = &state.config.notify;
    let mut channels: Vec<Channel> = notify
        .webhooks
        .iter()
        .cloned()
        .map(Channel::Webhook)
        .collect();
    if notify.smtp.is_some() {
        channels.push(Channel::Mail);
    }
    if channels.is_empty() {
        return;
    }
    let key = match webhook_key(&state.config) {
        Ok(k) => Arc::new(k),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "notifications are off: no webhook key");
            return;
        }
    };
    for channel in channels {
        tokio::spawn(follow(
            state.clone(),
            channel,
            key.clone(),
            shutdown.clone(),
        ));
    }
}

async fn follow(
    state: Arc<AppState>,
    channel: Channel,
    key: Arc<String>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let store = state.anchor.store();
    // A new channel starts at the present: it does not mail the whole history.
    let start = match crate::store::get_u64(store, crate::store::CF_META, &channel.cursor_key()) {
        Ok(0) => {
            let now = *state.journal.events.borrow();
            if let Err(e) = advance(store, &channel, now) {
                tracing::error!(error = %format!("{e:#}"), "cannot store the notification cursor");
                return;
            }
            now
        }
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "cannot read the notification cursor");
            return;
        }
    };
    let mut next = start;
    let mut written = state.journal.events.subscribe();
    loop {
        let events =
            crate::audit::events_after(store, next.checked_sub(1), 100).unwrap_or_else(|e| {
                tracing::error!(error = %format!("{e:#}"), "cannot read the event feed");
                Vec::new()
            });
        if events.is_empty() {
            tokio::select! {
                _ = written.changed() => continue,
                _ = tokio::time::sleep(Duration::from_secs(30)) => continue,
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
        for event in events {
            let mut delay = Duration::from_secs(1);
            for attempt in 1..=MAX_ATTEMPTS {
                let (s, k, e, c) = (state.clone(), key.clone(), event.clone(), channel.clone());
                let sent = tokio::task::spawn_blocking(move || c.deliver(&s, &k, &e))
                    .await
                    .map_err(anyhow::Error::from)
                    .and_then(|r| r);
                match sent {
                    Ok(()) => break,
                    Err(e) if attempt == MAX_ATTEMPTS => {
                        tracing::error!(event = event.seq, error = %format!("{e:#}"), "notification given up");
                    }
                    Err(e) => {
                        tracing::warn!(event = event.seq, attempt, error = %format!("{e:#}"), "notification failed; retrying");
                        tokio::select! {
                            _ = tokio::time::sleep(delay) => {}
                            _ = shutdown.wait_for(|s| *s) => return,
                        }
                        delay = (delay * 2).min(Duration::from_secs(300));
                    }
                }
            }
            next = event.seq + 1;
            if let Err(e) = advance(store, &channel, next) {
                tracing::error!(error = %format!("{e:#}"), "cannot store the notification cursor");
            }
        }
    }
}
