using Aspire.Hosting;

namespace LocalTls.Tests.AppModel;

/// <summary>
/// The builder extensions and <c>localtls manifests</c> share their input rules; these check the builder side still
/// throws for the same inputs, naming the parameter.
/// </summary>
public class BuilderRulesTests
{
    private static IDistributedApplicationBuilder NewBuilder() =>
        DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = [], DisableDashboard = true });

    [Fact]
    public void Bad_values_throw_naming_the_parameter()
    {
        var builder = NewBuilder();
        var k3s = builder.AddKubeconfigCluster("k3s");
        var ca = builder.AddStepCa("step-ca");

        Assert.Equal("address", Assert.Throws<ArgumentException>(() => k3s.WithIngressAddress("192.168.5")).ParamName);
        Assert.Equal("prefix", Assert.Throws<ArgumentException>(() => k3s.AddSslipHostname("app", "app_1")).ParamName);
        Assert.Equal("address", Assert.Throws<ArgumentException>(() => builder.AddSslipHostname("web").WithAddress("10")).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => ca.WithAcmeProvisioner("acme/x")).ParamName);
        Assert.Equal("port", Assert.Throws<ArgumentOutOfRangeException>(() => ca.WithService("ca", 70000)).ParamName);
        Assert.Equal("image", Assert.Throws<ArgumentException>(() => ca.WithImage("step-ca@sha256:00")).ParamName);
        Assert.Equal("tag", Assert.Throws<ArgumentException>(() => ca.WithImage("step-ca", "bad tag")).ParamName);
        Assert.Equal("namespace", Assert.Throws<ArgumentException>(() => ca.WithNamespace("Bad_NS")).ParamName);
        Assert.Equal("email", Assert.Throws<ArgumentException>(() => builder.AddLetsEncryptIssuer("le", "admin")).ParamName);
        var certificate = builder.AddCertificate("app-tls");
        Assert.Equal("dnsNames", Assert.Throws<ArgumentException>(() => certificate.WithDnsNames("app_x.test")).ParamName);
        Assert.Equal("duration", Assert.Throws<ArgumentOutOfRangeException>(() => certificate.WithDuration(TimeSpan.FromMinutes(59))).ParamName);
        Assert.Equal("renewBefore", Assert.Throws<ArgumentOutOfRangeException>(() => certificate.WithDuration(TimeSpan.FromHours(24), TimeSpan.FromHours(24))).ParamName);
    }

    [Fact]
    public void Good_values_land_on_the_resources()
    {
        var builder = NewBuilder();
        var k3s = builder.AddKubeconfigCluster("k3s").WithIngressAddress("192.168.5.2");
        var host = k3s.AddSslipHostname("app", "API");
        var ca = builder.AddStepCa("step-ca").WithService("ca", 8443).WithImage("registry.local/step-ca", "0.30.0").WithAcmeProvisioner("dev");
        var certificate = builder.AddCertificate("app-tls", host).WithDnsNames("*.App.Test").WithDuration(TimeSpan.FromHours(720), TimeSpan.FromHours(240));

        Assert.Equal("api.192.168.5.2.sslip.io", host.Resource.Hostname);
        Assert.Equal(8443, ca.Resource.Port);
        Assert.Equal("registry.local/step-ca", ca.Resource.Image);
        Assert.Equal("dev", ca.Resource.Provisioners.Single().Name);
        Assert.Equal(["*.app.test"], certificate.Resource.DnsNames);
        Assert.Equal(TimeSpan.FromHours(240), certificate.Resource.RenewBefore);
    }

    [Fact]
    public void A_lifetime_the_issuers_provisioner_does_not_allow_is_refused_in_either_order_and_nothing_changes()
    {
        var builder = NewBuilder();
        var ca = builder.AddStepCa("step-ca");
        var issuer = builder.AddCertManagerIssuer("step-ca-acme", ca);

        // The default provisioner allows 5 minutes to 90 days (its own maximum over step-ca's 24 hours).
        var first = builder.AddCertificate("first-tls").WithDuration(TimeSpan.FromDays(100));
        var ex = Assert.Throws<ArgumentException>(() => first.WithIssuer(issuer));
        Assert.Equal("issuer", ex.ParamName);
        Assert.Contains("asks for a lifetime of 2400h", ex.Message, StringComparison.Ordinal);
        Assert.Contains("allows 5m to 2160h", ex.Message, StringComparison.Ordinal);
        Assert.Contains(".WithAcmeProvisioner(\"acme\", p => p.Claims = new() { MaxTlsCertDuration = TimeSpan.FromDays(100) })", ex.Message, StringComparison.Ordinal);
        Assert.Null(first.Resource.Issuer);

        var second = builder.AddCertificate("second-tls").WithIssuer(issuer).WithDuration(TimeSpan.FromDays(30), TimeSpan.FromDays(10));
        Assert.Equal("duration", Assert.Throws<ArgumentException>(() => second.WithDuration(TimeSpan.FromDays(91))).ParamName);
        Assert.Equal((TimeSpan.FromDays(30), TimeSpan.FromDays(10)), (second.Resource.Duration, second.Resource.RenewBefore));

        // Narrowing the CA afterwards is refused too, and leaves the CA as it was.
        var lifetimes = ca.Resource.Claims;
        ex = Assert.Throws<ArgumentException>(() => ca.WithCertificateLifetimes(min: TimeSpan.FromDays(40), @default: TimeSpan.FromDays(40), max: TimeSpan.FromDays(60)));
        Assert.Contains("'second-tls'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("WithCertificateLifetimes(min: ...)", ex.Message, StringComparison.Ordinal);
        Assert.Same(lifetimes, ca.Resource.Claims);
        Assert.Throws<ArgumentException>(() => ca.WithAcmeProvisioner("acme", p => p.Claims = new() { MaxTlsCertDuration = TimeSpan.FromDays(7) }));
        Assert.Empty(ca.Resource.Provisioners);

        // Widened where the message says, the lifetime is taken.
        ca.WithAcmeProvisioner("acme", p => p.Claims = new() { MaxTlsCertDuration = TimeSpan.FromDays(100) });
        first.WithIssuer(issuer);
        Assert.Same(issuer.Resource, first.Resource.Issuer);
    }
}
