// The benchmark's baseline: the playground's web project in an AppHost without LocalTls, over plain HTTP on
// localhost (no step-ca, no DNS responder, no certificate). bench/apphost-cost.sh compares the playground with it.
var builder = DistributedApplication.CreateBuilder(args);
var port = int.Parse(builder.Configuration["Bench:Port"] ?? "7080", System.Globalization.CultureInfo.InvariantCulture);
builder.AddProject<Projects.LocalTls_Playground_Web>("web", launchProfileName: null).WithHttpEndpoint(port: port, name: "http");
builder.Build().Run();
