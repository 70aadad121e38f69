// The playground's web app. It knows nothing about TLS: the AppHost points Kestrel at the certificate that
// step-ca issued for web.127.0.0.1.sslip.io (WithLocalTls).
var app = WebApplication.CreateBuilder(args).Build();
app.MapGet("/", (HttpContext context) =>
{
    return Results.Content(
        $"<!doctype html><title>LocalTls playground</title><h1>Hello from {context.Request.Host}</h1>" +
        $"<p>Served over {context.Request.Protocol} with a certificate from the local step-ca, trusted through its root.</p>",
        "text/html");
});
app.MapGet("/health", () => "ok");
app.Run();
