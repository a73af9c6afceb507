//! The admin function's dev build under the Lambda runtime interface emulator, against moto.

use std::path::Path;

use testkit::rie::Rie;
use testkit::Fixture;

#[tokio::test]
async fn administers_tenants_for_iam_callers_only() {
    let fx = Fixture::new().await;
    let rie = Rie::start(
        Path::new(env!("CARGO_BIN_EXE_admin-api")),
        &fx.function_env(),
    );
    testkit::admin::check_admin_function(&rie, &fx).await;
}

#[tokio::test]
async fn erases_and_holds_conversations() {
    let fx = Fixture::new().await;
    let rie = Rie::start(
        Path::new(env!("CARGO_BIN_EXE_admin-api")),
        &fx.function_env(),
    );
    testkit::admin::check_erasure_function(&rie, &fx).await;
}
