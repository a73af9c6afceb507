//! SigV4 for the admin routes' `AWS_IAM` authorization, by the SDK's own signer (`aws-sigv4`).
//!
//! The payload's SHA-256 is sent as `x-amz-content-sha256` and signed, so the body the API
//! Gateway checks is the body that was signed.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;

use crate::error::Error;

/// API Gateway's signing name.
pub const SERVICE: &str = "execute-api";

/// Adds `authorization`, `x-amz-date`, `x-amz-content-sha256` (and `x-amz-security-token` for
/// temporary credentials) to `request`, signed for `region` at `time`. Every header already on
/// the request (but those the signer leaves out, such as `user-agent`) and the host are signed;
/// headers added later (`content-length` by the HTTP client) are not.
pub fn sign_request(
    request: &mut http::Request<Bytes>,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<(), Error> {
    let failed =
        |e: &dyn std::fmt::Display| Error::Signing(format!("cannot sign the request: {e}"));
    let identity: Identity = credentials.clone().into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| failed(&e))?
        .into();
    let instructions = {
        let headers = request
            .headers()
            .iter()
            .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
        let uri = request.uri().to_string();
        let signable = SignableRequest::new(
            request.method().as_str(),
            uri,
            headers,
            SignableBody::Bytes(request.body()),
        )
        .map_err(|e| failed(&e))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| failed(&e))?
            .into_parts();
        instructions
    };
    instructions.apply_to_request_http1x(request);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const AT: u64 = 1_700_000_000; // 2023-11-14T22:13:20Z

    fn request(body: &'static str) -> http::Request<Bytes> {
        http::Request::builder()
            .method("PUT")
            .uri("https://abc123.execute-api.eu-west-1.amazonaws.com/admin/v1/tenants/00D000000000001")
            .header("content-type", "application/json")
            .body(Bytes::from_static(body.as_bytes()))
            .unwrap()
    }

    fn header<'a>(request: &'a http::Request<Bytes>, name: &str) -> Option<&'a str> {
        request.headers().get(name).map(|v| v.to_str().unwrap())
    }

    fn time() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(AT)
    }

    #[test]
    fn signing_adds_the_date_the_payload_hash_and_the_authorization() {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "test",
        );
        let mut request = request("{}");
        sign_request(&mut request, &credentials, "eu-west-1", time()).unwrap();
        assert_eq!(header(&request, "x-amz-date"), Some("20231114T221320Z"));
        assert_eq!(
            header(&request, "x-amz-content-sha256"),
            Some("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"),
            "SHA-256 of the body"
        );
        assert_eq!(header(&request, "x-amz-security-token"), None);
        let authorization = header(&request, "authorization").unwrap();
        assert!(
            authorization.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/eu-west-1/execute-api/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature="
            ),
            "{authorization}"
        );
        // The signature of this exact request, as botocore's SigV4Auth computes it (same
        // credentials, time, headers and body): the canonical request is the standard one.
        assert!(
            authorization.ends_with(&format!("Signature={BOTOCORE_SIGNATURE}")),
            "{authorization}"
        );
    }

    /// botocore 1.x `SigV4Auth(Credentials('AKIDEXAMPLE', 'wJalr…KEY'), 'execute-api',
    /// 'eu-west-1')` over the request above, with `X-Amz-Content-SHA256` set to the body's hash.
    const BOTOCORE_SIGNATURE: &str =
        "d80f48cf532d1d3d229decc98e47ab0e40d930aad91731e3d4fd566bc3ad0a90";

    #[test]
    fn temporary_credentials_send_and_sign_their_session_token() {
        let credentials = Credentials::new(
            "ASIAEXAMPLE",
            "secret",
            Some("session-token".into()),
            None,
            "test",
        );
        let mut request = request("");
        sign_request(&mut request, &credentials, "us-east-1", time()).unwrap();
        assert_eq!(
            header(&request, "x-amz-security-token"),
            Some("session-token")
        );
        assert_eq!(
            header(&request, "x-amz-content-sha256"),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            "SHA-256 of the empty body"
        );
        let authorization = header(&request, "authorization").unwrap();
        assert!(
            authorization.contains("/20231114/us-east-1/execute-api/aws4_request"),
            "{authorization}"
        );
        assert!(
            authorization.contains("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
            "{authorization}"
        );
    }

    #[test]
    fn a_different_body_is_a_different_signature() {
        let credentials = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let mut one = request("{\"status\":\"active\"}");
        let mut other = request("{\"status\":\"suspended\"}");
        sign_request(&mut one, &credentials, "eu-west-1", time()).unwrap();
        sign_request(&mut other, &credentials, "eu-west-1", time()).unwrap();
        assert_ne!(
            header(&one, "authorization"),
            header(&other, "authorization")
        );
    }
}
