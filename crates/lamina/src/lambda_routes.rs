//! Lambda's own routes (`/_lamina/lambda/failed-events`, `/_lamina/lambda/code/<sha>.zip`
//! behind `Code.Location`) on the gateway's raw hook; the logic is in `lamina-lambda`, which
//! does not depend on the wire crate.

use lamina_core::BoxFuture;
use std::sync::Arc;

pub struct LambdaRoutes(pub Arc<lamina_lambda::Lambda>);

impl lamina_wire::RawHandler for LambdaRoutes {
    fn handle<'a>(
        &'a self,
        req: lamina_wire::HttpRequest,
        ctx: lamina_wire::RawContext,
    ) -> BoxFuture<'a, lamina_wire::HttpResponse> {
        Box::pin(async move {
            let r = self
                .0
                .admin(
                    req.method.as_str(),
                    &req.path,
                    &req.query,
                    &ctx.account_id,
                    &ctx.region,
                )
                .await;
            lamina_wire::HttpResponse {
                status: r.status,
                headers: vec![("content-type".into(), r.content_type.into())],
                body: r.body,
            }
        })
    }
}
