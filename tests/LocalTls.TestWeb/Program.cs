// A minimal web app for host-mode tests: Kestrel serves whatever certificate the AppHost points it at.
var app = WebApplication.CreateBuilder(args).Build();
app.MapGet("/", (HttpContext context) => $"hello over {context.Request.Scheme} as {context.Request.Host.Host}");
app.Run();
