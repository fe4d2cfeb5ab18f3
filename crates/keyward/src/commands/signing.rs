//! `keyward signing ca`: the installation's code-signing CA (spec F1), so that a test suite can
//! verify the certificates and profiles Keyward makes (`openssl smime -verify -CAfile …`).

use keyward_core::ports::SigningStore;
use keyward_token::codesign::SigningCa;

use crate::cli::SigningCaArgs;
use crate::config::Config;
use crate::error::CliError;

pub async fn ca(config: &Config, args: SigningCaArgs) -> Result<(), CliError> {
    let store = super::open_store(config).await?;
    let offer = SigningCa::generate().map_err(|e| CliError::Refused(format!("cannot make the signing CA: {e}")))?;
    let (cert_pem, _) = store.signing_ca((offer.cert_pem, offer.key_pem)).await?;
    match args.out {
        Some(path) => std::fs::write(&path, &cert_pem)
            .map_err(|e| CliError::Refused(format!("cannot write {}: {e}", path.display()))),
        None => {
            print!("{cert_pem}");
            Ok(())
        }
    }
}
