//! `tenants …`: list, get, create, put, suspend, activate, offboard.

use serde_json::{json, Value};

use super::Output;
use crate::call::Call;
use crate::client::Api;
use crate::error::Error;

/// The largest page the API serves, used when following every page.
const LARGEST_PAGE: u16 = 1000;

fn tenant(org: &str) -> [&str; 2] {
    ["tenants", org]
}

async fn send(api: &impl Api, call: Call, expected: &[u16]) -> Result<Value, Error> {
    api.send(&call).await?.expect(&call, expected)
}

/// One page, or (`all`) every page from the first, as one `{"tenants": […]}`.
pub async fn list(
    api: &impl Api,
    limit: Option<u16>,
    cursor: Option<&str>,
    all: bool,
) -> Result<Output, Error> {
    let page_call = |cursor: Option<&str>| {
        let mut call = Call::get(&["tenants"]);
        if let Some(limit) = limit.or(all.then_some(LARGEST_PAGE)) {
            call = call.with_query("limit", limit.to_string());
        }
        if let Some(cursor) = cursor {
            call = call.with_query("cursor", cursor);
        }
        call
    };
    if !all {
        return send(api, page_call(cursor), &[200]).await.map(Output::json);
    }
    let mut tenants = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = send(api, page_call(cursor.as_deref()), &[200]).await?;
        match page.get("tenants") {
            Some(Value::Array(some)) => tenants.extend(some.iter().cloned()),
            _ => {
                return Err(Error::Refused(format!(
                    "a page without a tenants list: {page}"
                )))
            }
        }
        match page.get("nextCursor").and_then(Value::as_str) {
            Some(next) if cursor.as_deref() == Some(next) => {
                return Err(Error::Refused(format!(
                    "the API answered the same nextCursor twice ({next}); stopping"
                )))
            }
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    Ok(Output::json(json!({ "tenants": tenants })))
}

pub async fn get(api: &impl Api, org: &str) -> Result<Output, Error> {
    send(api, Call::get(&tenant(org)), &[200])
        .await
        .map(Output::json)
}

/// Reads a tenant, `None` when there is none.
pub async fn find(api: &impl Api, org: &str) -> Result<Option<Value>, Error> {
    let call = Call::get(&tenant(org));
    let answer = api.send(&call).await?;
    if answer.status == 404 {
        return Ok(None);
    }
    answer.expect(&call, &[200]).map(Some)
}

/// A new tenant: refused when `org` has one already, so a typo cannot overwrite another org's
/// settings (`put` changes an existing one).
pub async fn create(api: &impl Api, org: &str, settings: Value) -> Result<Output, Error> {
    if find(api, org).await?.is_some() {
        return Err(Error::Refused(format!(
            "tenant {org} exists already; change its settings with `tenant-admin tenants put {org} …`"
        )));
    }
    put(api, org, settings).await
}

pub async fn put(api: &impl Api, org: &str, settings: Value) -> Result<Output, Error> {
    send(api, Call::put(&tenant(org), settings), &[200])
        .await
        .map(Output::json)
}

/// Suspends or reactivates an existing tenant (never creates one: a PUT of an unknown org would).
pub async fn set_status(api: &impl Api, org: &str, status: &str) -> Result<Output, Error> {
    if find(api, org).await?.is_none() {
        return Err(no_tenant(org));
    }
    put(api, org, json!({ "status": status })).await
}

pub(crate) fn no_tenant(org: &str) -> Error {
    Error::Refused(format!(
        "no tenant {org} (create it with `tenant-admin tenants create {org}`)"
    ))
}

/// Between two polls of an erasure (`--wait`).
pub const POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// `DELETE` the tenant; with `poll`, then `GET` its erasure until it is `done`.
pub async fn offboard(
    api: &impl Api,
    org: &str,
    confirmed: bool,
    poll: Option<std::time::Duration>,
) -> Result<Output, Error> {
    if !confirmed {
        return Err(Error::usage(format!(
            "offboarding erases tenant {org} and all its data and cannot be undone: pass --yes to confirm"
        )));
    }
    let mut answer = send(api, Call::delete(&tenant(org)), &[200, 202]).await?;
    if let (Some(every), Some(id)) = (poll, answer["erasureId"].as_str().map(str::to_owned)) {
        while answer["status"] == "running" {
            tokio::time::sleep(every).await;
            answer = send(api, Call::get(&["tenants", org, "erasures", &id]), &[200]).await?;
        }
    }
    let note = if answer["status"] == "done" {
        format!("offboarded {org}: its keys are gone and its data erased")
    } else {
        format!(
            "offboarding {org}: its keys stop working now, its data is being erased \
             (--wait follows it to the end)"
        )
    };
    Ok(Output::json(answer).note(note))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fake::FakeApi;

    const ORG: &str = "00D000000000001";

    #[tokio::test]
    async fn list_all_follows_next_cursor_to_the_last_page() {
        let api = FakeApi::answering([
            (
                200,
                json!({"tenants": [{"orgId": "a"}], "nextCursor": "c 1"}),
            ),
            (
                200,
                json!({"tenants": [{"orgId": "b"}], "nextCursor": "c2"}),
            ),
            (200, json!({"tenants": [{"orgId": "c"}]})),
        ]);
        let out = list(&api, None, None, true).await.unwrap();
        assert_eq!(
            out.json.unwrap(),
            json!({"tenants": [{"orgId": "a"}, {"orgId": "b"}, {"orgId": "c"}]})
        );
        assert_eq!(
            api.described(),
            [
                "GET /admin/v1/tenants?limit=1000",
                "GET /admin/v1/tenants?limit=1000&cursor=c%201",
                "GET /admin/v1/tenants?limit=1000&cursor=c2",
            ]
        );
    }

    #[tokio::test]
    async fn list_all_stops_on_a_repeated_cursor() {
        let api = FakeApi::answering([
            (200, json!({"tenants": [], "nextCursor": "c"})),
            (200, json!({"tenants": [], "nextCursor": "c"})),
        ]);
        assert!(matches!(
            list(&api, Some(5), None, true).await,
            Err(Error::Refused(_))
        ));
    }

    #[tokio::test]
    async fn one_page_is_printed_as_it_came() {
        let page = json!({"tenants": [{"orgId": "a"}], "nextCursor": "n"});
        let api = FakeApi::answering([(200, page.clone())]);
        let out = list(&api, Some(1), Some("00D000000000000"), false)
            .await
            .unwrap();
        assert_eq!(out.json.unwrap(), page);
        assert_eq!(
            api.described(),
            ["GET /admin/v1/tenants?limit=1&cursor=00D000000000000"]
        );
    }

    #[tokio::test]
    async fn create_refuses_an_existing_tenant_and_puts_a_new_one() {
        let existing = FakeApi::answering([(200, json!({"orgId": ORG}))]);
        assert!(matches!(
            create(&existing, ORG, json!({})).await,
            Err(Error::Refused(_))
        ));
        assert_eq!(existing.calls().len(), 1, "nothing written");

        let fresh = FakeApi::answering([
            (
                404,
                json!([{"errorCode": "NOT_FOUND", "message": "No tenant"}]),
            ),
            (200, json!({"orgId": ORG, "retentionDays": 30})),
        ]);
        let out = create(&fresh, ORG, json!({"retentionDays": 30}))
            .await
            .unwrap();
        assert_eq!(out.json.unwrap()["retentionDays"], 30);
        let calls = fresh.calls();
        assert_eq!(calls[1].describe(), format!("PUT /admin/v1/tenants/{ORG}"));
        assert_eq!(calls[1].body, Some(json!({"retentionDays": 30})));
    }

    #[tokio::test]
    async fn suspend_changes_only_the_status_of_an_existing_tenant() {
        let api = FakeApi::answering([
            (200, json!({"orgId": ORG, "status": "active"})),
            (200, json!({"orgId": ORG, "status": "suspended"})),
        ]);
        set_status(&api, ORG, "suspended").await.unwrap();
        assert_eq!(api.calls()[1].body, Some(json!({"status": "suspended"})));

        let unknown = FakeApi::answering([(404, json!([]))]);
        assert!(matches!(
            set_status(&unknown, ORG, "active").await,
            Err(Error::Refused(_))
        ));
        assert_eq!(unknown.calls().len(), 1, "no tenant created by a suspend");
    }

    #[tokio::test]
    async fn an_error_answer_is_the_apis_error() {
        let api = FakeApi::answering([(500, json!([{"errorCode": "UNKNOWN_EXCEPTION"}]))]);
        match get(&api, ORG).await {
            Err(Error::Api {
                status: 500, body, ..
            }) => assert!(body.contains("UNKNOWN_EXCEPTION")),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn offboard_needs_confirmation_and_accepts_202() {
        let api = FakeApi::default();
        assert!(matches!(
            offboard(&api, ORG, false, None).await,
            Err(Error::Usage(_))
        ));
        assert!(api.calls().is_empty());
        let api = FakeApi::answering([(202, json!({"erasureId": "e1", "status": "running"}))]);
        let out = offboard(&api, ORG, true, None).await.unwrap();
        assert_eq!(out.json.unwrap()["erasureId"], "e1");
        assert_eq!(api.described(), [format!("DELETE /admin/v1/tenants/{ORG}")]);
        let refused = FakeApi::answering([(409, json!([{"errorCode": "CONFLICT"}]))]);
        assert!(matches!(
            offboard(&refused, ORG, true, None).await,
            Err(Error::Api { status: 409, .. })
        ));
    }

    #[tokio::test]
    async fn offboard_waits_by_polling_the_erasure_until_done() {
        let api = FakeApi::answering([
            (202, json!({"erasureId": "e1", "status": "running"})),
            (200, json!({"erasureId": "e1", "status": "running"})),
            (
                200,
                json!({"erasureId": "e1", "status": "done", "conversations": 3}),
            ),
        ]);
        let out = offboard(&api, ORG, true, Some(std::time::Duration::ZERO))
            .await
            .unwrap();
        assert_eq!(out.json.unwrap()["conversations"], 3);
        let get = format!("GET /admin/v1/tenants/{ORG}/erasures/e1");
        assert_eq!(
            api.described(),
            [format!("DELETE /admin/v1/tenants/{ORG}"), get.clone(), get]
        );
    }
}
