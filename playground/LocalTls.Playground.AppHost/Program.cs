using Microsoft.Extensions.Hosting;

// The seed document's setup as one Aspire app model: step-ca as a private ACME server, a cert-manager issuer
// pointing at it, an sslip.io host name and a Certificate.
//  - publish (or Playground:Target=cluster): step-ca in k3s, a ClusterIssuer, app.192.168.5.2.sslip.io; in
//    Production the Certificate goes to Let's Encrypt and no step-ca is published.
//  - run: no cluster needed; step-ca runs on this machine and issues web.127.0.0.1.sslip.io for the web project,
//    and a wildcard certificate for *.web.127.0.0.1.sslip.io. The AppHost's log says once how to trust the root
//    and which URL to open.
var builder = DistributedApplication.CreateBuilder(args);
var inCluster = builder.ExecutionContext.IsPublishMode || builder.Configuration["Playground:Target"] == "cluster";

var ca = builder.AddStepCa("step-ca").WithAcmeProvisioner("acme");
if (builder.Configuration["Playground:CaStore"] is { Length: > 0 } store)
{
    ca.WithCaStore(store);
}

var issuer = builder.AddCertManagerIssuer("step-ca-acme", ca).WithHttp01Solver();
if (inCluster)
{
    // The seed's Colima VM answers on 192.168.5.2; "unknown" leaves the address for the cluster to report.
    var k3s = builder.AddKubeconfigCluster("k3s").WithIngressClass(builder.Configuration["Playground:IngressClass"] ?? "traefik");
    if (builder.Configuration["Playground:Kubeconfig"] is { Length: > 0 } kubeconfig)
    {
        k3s.WithKubeconfig(kubeconfig, builder.Configuration["Playground:Context"]);
    }

    if (builder.Configuration["Playground:Cleanup"] == "true")
    {
        // Deletes what LocalTls created in the cluster when the AppHost stops (by default everything stays).
        k3s.WithCleanupOnStop();
    }

    if (builder.Configuration["Playground:IngressAddress"] is not "unknown")
    {
        k3s.WithIngressAddress(builder.Configuration["Playground:IngressAddress"] ?? "192.168.5.2");
    }

    ca.WithPersistence("1Gi", "local-path").InCluster(k3s);
    var certificateIssuer = issuer;
    if (builder.ExecutionContext.IsPublishMode || builder.Environment.IsProduction())
    {
        // Not in a development run: Let's Encrypt refuses an account for admin@example.com, so the issuer would only show Failed.
        var production = builder.AddLetsEncryptIssuer("letsencrypt-prod", email: "admin@example.com");
        certificateIssuer = builder.Environment.IsProduction() ? production : issuer;
    }

    builder.AddCertificate("app-tls", k3s.AddSslipHostname("app")).WithIssuer(certificateIssuer);
}
else
{
    var web = builder.AddSslipHostname("web-hostname", "web");
    var tls = builder.AddCertificate("web-tls", web).WithIssuer(issuer);
    builder.AddProject<Projects.LocalTls_Playground_Web>("web").WithLocalTls(tls);

    // What public sslip.io cannot give: a wildcard. Host mode issues over dns-01 through its own DNS responder.
    builder.AddCertificate("wildcard-tls").WithDnsNames("*.web.127.0.0.1.sslip.io").WithIssuer(issuer);
}

builder.Build().Run();
