//! `keyward serve`: opens or creates the database, migrates, and serves until SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::time::Duration;

use std::sync::Arc;

use keyward_core::ports::{SeedStore, TeamStore};
use keyward_server::{AppState, ServeOptions};

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::error::CliError;
use crate::output::announce;

pub async fn run(config: &Config, args: &ServeArgs) -> Result<(), CliError> {
    let listen: SocketAddr = config.listen.parse().map_err(|_| {
        CliError::Usage(format!("'{}' is not an address to listen on, such as 127.0.0.1:8080", config.listen))
    })?;
    // G4: a policy is checked whole before anything else starts.
    let gateway = match &config.policy {
        Some(path) => {
            let policy = crate::policy::load(path, config.upstream.as_deref()).map_err(CliError::Usage)?;
            let timeout = Duration::from_secs(u64::from(config.upstream_timeout_seconds));
            let ca = match &config.upstream_ca_file {
                Some(file) => Some(std::fs::read(file).map_err(|e| {
                    CliError::Usage(format!("cannot read the upstream CA bundle {}: {e}", file.display()))
                })?),
                None => None,
            };
            let cap = usize::try_from(config.upstream_max_in_flight_per_key).ok().filter(|n| *n > 0);
            let upstream =
                keyward_server::gateway::UpstreamOptions { timeout, ca_bundle_pem: ca, max_in_flight_per_key: cap };
            Some(keyward_server::gateway::Gateway::new(policy, upstream).map_err(CliError::Usage)?)
        }
        None => None,
    };
    let url = config.database_url()?;
    let store = super::open_store(config).await?;
    tracing::info!(database = %url, backend = %store.backend(), "database ready");
    let seed = match &args.seed {
        Some(path) => {
            let (spec, pending) = crate::seed::load(path, &store, config.max_active_team_keys).await?;
            let outcome = store.apply_seed(&spec.file, &spec.public_keys, false).await.map_err(|e| {
                CliError::Refused(format!("{} is refused: {}", path.display(), crate::error::message(e)))
            })?;
            for file in pending.write()? {
                announce(format!("Wrote {}", file.display()));
            }
            tracing::info!(file = %path.display(), changes = outcome.changes, "seed applied");
            Some(spec)
        }
        None => None,
    };
    let demo = if args.demo { Some(super::demo::ensure(&store, config).await?) } else { None };
    let first_run = demo.is_none() && seed.is_none() && store.is_empty().await?;
    if first_run {
        let location = match &config.database_url {
            Some(_) => format!(" --database-url '{}'", url.redacted()),
            None if config.data_dir != std::path::Path::new("./keyward-data") => {
                format!(" --data-dir '{}'", config.data_dir.display())
            }
            None => String::new(),
        };
        announce(format!(
            "\nKeyward has no team yet. Create the operator, the first team and its Account Holder with:\n\n    \
             keyward{location} admin init --team \"My Team\" --email you@example.com --password-stdin\n"
        ));
    }
    let trusted_proxies = keyward_server::client_ip::TrustedProxies::parse(&config.trusted_proxies)
        .map_err(|e| CliError::Usage(format!("invalid configuration: trusted_proxies: {e}")))?;
    let mailer = keyward_server::mail::Mailer::from_settings(&config.mail)
        .map_err(|e| CliError::Usage(format!("invalid configuration: {e}")))?;
    if mailer.enabled() && config.public_url.is_none() {
        // Mailed links carry secrets: they are built from public_url, never from a request's Host.
        return Err(CliError::Usage(
            "invalid configuration: [mail] needs public_url, the address people open the mailed links at".into(),
        ));
    }
    let https_public_url = config.public_url.as_deref().is_some_and(|u| u.starts_with("https://"));
    if !config.trusted_proxies.is_empty() && !args.tls && !https_public_url {
        // Behind a proxy that terminates TLS, only public_url tells Keyward the console is https.
        tracing::warn!(
            "trusted_proxies is set but public_url is not https://…: if the proxy serves the console over https, \
             set public_url so console cookies are Secure and the session is a __Host- cookie no sibling site can plant"
        );
    }
    // Apple's whole API (spec section 12): indexed now, so the first request does not wait for it
    // and a broken build of the document stops the start with a message.
    let began = std::time::Instant::now();
    keyward_asc::Api::shared().map_err(|e| CliError::Refused(e.to_owned()))?;
    tracing::info!(ms = began.elapsed().as_millis(), "Apple's App Store Connect API document indexed");
    let mut state = AppState::new(store, config.settings(), config.public_url.clone()).await?;
    state.trusted_proxies = Arc::new(trusted_proxies);
    if let Some(gateway) = gateway {
        let routes = gateway.policy.routes.iter().map(|r| r.prefix.as_str()).collect::<Vec<_>>().join(", ");
        match &gateway.upstream {
            Some(upstream) => announce(format!(
                "Gateway: {routes} proxied to {} for tokens with audience {} (forward auth: /_keyward/authz)",
                upstream.url(),
                gateway.policy.audience
            )),
            None => announce(format!(
                "Gateway: forward auth at /_keyward/authz for {routes}, tokens with audience {}",
                gateway.policy.audience
            )),
        }
        state.gateway = Some(Arc::new(gateway));
    }
    state.mailer = Arc::new(mailer);
    if args.test_mode {
        let banner = "TEST MODE: POST /_keyward/reset WIPES THE DATABASE AND RE-APPLIES THE SEED; GET /_keyward/requests LISTS REQUESTS. NEVER USE THIS IN PRODUCTION.";
        tracing::warn!("{banner}");
        announce(banner);
        let seed = seed.map(|s| (s.file, s.public_keys));
        state.test_mode = Some(Arc::new(keyward_server::test_mode::TestMode::new(seed)));
    }
    let options = ServeOptions { listen, purge_every: Duration::from_secs(3600), flush_every: Duration::from_secs(1) };
    state.https = args.tls;
    let setup_token = if first_run {
        let token = keyward_token::session::random_token().map_err(|e| CliError::Refused(e.to_string()))?;
        state.setup = Some(Arc::new(std::sync::Mutex::new(Some(token.clone()))));
        Some(token)
    } else {
        None
    };
    let scheme = if args.tls { "https" } else { "http" };
    let on_bound = |addr: SocketAddr| {
        announce(format!("Keyward is listening on {scheme}://{addr} (health: /healthz, readiness: /readyz)"));
        if let Some(token) = &setup_token {
            let base = config.public_url.clone().unwrap_or_else(|| format!("{scheme}://{addr}"));
            announce(format!(
                "\nFirst run: open this one-time URL to create the first team in the browser:\n\n    {base}/setup?token={token}\n"
            ));
        }
        if let Some(demo) = &demo {
            let base = config.public_url.clone().unwrap_or_else(|| format!("{scheme}://{addr}"));
            announce(super::demo::banner(demo, &base));
        }
        tracing::info!(%addr, "listening");
    };
    let served = if args.tls {
        let (_, _, cert, key) = super::tls::paths(config);
        if !cert.exists() || !key.exists() {
            return Err(CliError::Refused(format!(
                "no certificate in {}; run `keyward tls init` first",
                cert.display()
            )));
        }
        keyward_server::serve_tls(state, options, &cert, &key, on_bound).await
    } else {
        keyward_server::serve(state, options, on_bound).await
    };
    served.map_err(|e| CliError::Refused(format!("cannot serve on {listen}: {e}")))
}
