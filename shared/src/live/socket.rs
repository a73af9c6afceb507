//! What the live channel answers a client: the same code behind API Gateway's routes (the
//! live-socket function) and the local server's `/live`.

use super::protocol::{parse, ClientMessage, ErrorCode, ServerMessage};
use super::subscriptions::{Subscription, Subscriptions};
use crate::auth::Permission;
use crate::store::ConversationReader;
use crate::tenants::{Refusal, Tenants};

/// The live channel's state: the tenants (to verify `intelligence:read` tokens, and their alert
/// categories), the read side of the store (to find a conversation), and the subscriptions.
pub struct LiveApp<R, S> {
    pub tenants: Tenants,
    pub reader: R,
    pub subscriptions: S,
}

/// Answers one client message of `connection`. Never fails: every problem is an error message.
pub async fn on_message<R: ConversationReader, S: Subscriptions>(
    app: &LiveApp<R, S>,
    connection: &str,
    text: &str,
    now: u64,
) -> ServerMessage {
    let answer = match parse(text) {
        Ok(ClientMessage::Subscribe { token, record_id }) => {
            subscribe(app, connection, &token, &record_id, now).await
        }
        Ok(ClientMessage::Unsubscribe { record_id }) => {
            match app.subscriptions.unsubscribe(connection, &record_id).await {
                Ok(()) => ServerMessage::Unsubscribed { record_id },
                Err(_) => unavailable(record_id),
            }
        }
        Err(answer) => answer,
    };
    if let ServerMessage::Error { error_code, .. } = &answer {
        tracing::info!(?error_code, "live message refused");
    }
    answer
}

fn unavailable(record_id: String) -> ServerMessage {
    ServerMessage::Error {
        error_code: ErrorCode::Unavailable,
        message: "The service is unavailable; try again".into(),
        record_id: Some(record_id),
    }
}

async fn subscribe<R: ConversationReader, S: Subscriptions>(
    app: &LiveApp<R, S>,
    connection: &str,
    token: &str,
    record_id: &str,
    now: u64,
) -> ServerMessage {
    let refuse = |error_code, message: &str| ServerMessage::Error {
        error_code,
        message: message.to_owned(),
        record_id: Some(record_id.to_owned()),
    };
    let admitted = match app
        .tenants
        .verify(
            Some(&format!("Bearer {token}")),
            Permission::IntelligenceRead,
            now,
        )
        .await
    {
        Ok(admitted) => admitted,
        Err(Refusal::Auth(e)) => {
            tracing::info!(reason = %e, "live token refused");
            return refuse(
                ErrorCode::InvalidSession,
                "Session expired or invalid: a token with intelligence:read is required",
            );
        }
        Err(Refusal::Unavailable) => return unavailable(record_id.to_owned()),
    };
    tracing::Span::current().record("tenant", admitted.token.org_id.as_str());
    let org = admitted.tenant.org.clone();
    // Another tenant's conversation is answered exactly as one that does not exist.
    let not_found = || {
        refuse(
            ErrorCode::NotFound,
            &format!("No voice call or conversation found for recordId {record_id}"),
        )
    };
    let conversation = match app.reader.find_conversation(&org, record_id).await {
        Ok(Some(conversation)) => conversation,
        Ok(None) => return not_found(),
        Err(_) => return unavailable(record_id.to_owned()),
    };
    match app.reader.has_conversation(&org, &conversation).await {
        Ok(true) => {}
        Ok(false) => return not_found(),
        Err(_) => return unavailable(record_id.to_owned()),
    }
    let subscription = Subscription {
        org: &org,
        conversation: &conversation,
        record_id,
        connection,
        now,
    };
    if app.subscriptions.subscribe(subscription).await.is_err() {
        return unavailable(record_id.to_owned());
    }
    ServerMessage::Subscribed {
        record_id: record_id.to_owned(),
        conversation_key: conversation.as_str().to_owned(),
        alert_categories: admitted.tenant.alert_categories(),
    }
}
