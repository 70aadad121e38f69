// A minimal web app for host-mode tests: Kestrel serves whatever certificate the AppHost points it at, and
// /call fetches another URL with a plain HttpClient, so a test can see which roots the process trusts.
var app = WebApplication.CreateBuilder(args).Build();
app.MapGet("/", (HttpContext context) => $"hello over {context.Request.Scheme} as {context.Request.Host.Host}");
app.MapGet("/call", async (string url) =>
{
    using var http = new HttpClient();
    try
    {
        return Results.Text(await http.GetStringAsync(url));
    }
    catch (HttpRequestException e)
    {
        return Results.Text($"failed: {e.Message} {e.InnerException?.Message}", statusCode: 502);
    }
});
app.Run();
