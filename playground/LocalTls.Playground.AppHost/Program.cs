using Microsoft.Extensions.Hosting;

// The seed document's setup as an Aspire app model: step-ca in k3s as a private ACME server, a cert-manager
// ClusterIssuer pointing at it, an sslip.io host name and a Certificate. In Production the same Certificate
// goes to Let's Encrypt and no step-ca is published.
var builder = DistributedApplication.CreateBuilder(args);

// The seed's Colima VM answers on 192.168.5.2; "unknown" leaves the address for the cluster to report.
var k3s = builder.AddK3sCluster("k3s").WithIngressClass(builder.Configuration["Playground:IngressClass"] ?? "traefik");
if (builder.Configuration["Playground:IngressAddress"] is not "unknown")
{
    k3s.WithIngressAddress(builder.Configuration["Playground:IngressAddress"] ?? "192.168.5.2");
}

var ca = builder.AddStepCa("step-ca")
    .WithAcmeProvisioner("acme")
    .WithPersistence("1Gi", "local-path")
    .InCluster(k3s);
if (builder.Configuration["Playground:CaStore"] is { Length: > 0 } store)
{
    ca.WithCaStore(store);
}

var issuer = builder.AddCertManagerIssuer("step-ca-acme", ca).WithHttp01Solver();
var production = builder.AddLetsEncryptIssuer("letsencrypt-prod", email: "admin@example.com");

var app = k3s.AddSslipHostname("app");
builder.AddCertificate("app-tls", app).WithIssuer(builder.Environment.IsProduction() ? production : issuer);

builder.Build().Run();
