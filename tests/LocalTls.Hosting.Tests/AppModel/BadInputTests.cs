using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LocalTls.Tests.TestSupport;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.AppModel;

/// <summary>Every AddX/WithX rejects bad input where the user writes it, with a message that says what to write instead.</summary>
public class BadInputTests
{
    private static readonly IDistributedApplicationTestingBuilder Builder = DistributedApplicationTestingBuilder.Create();

    public static TheoryData<string, string> Cases() => new()
    {
        { "k3s ingress address", "is not an IP address" },
        { "k3s ingress address shorthand", "is not an IP address" },
        { "ingress class", "not a valid IngressClass name" },
        { "app identity", "not a valid app identity" },
        { "provisioner name", "cannot be an ACME provisioner name" },
        { "provisioner name starting with a dash", "start with a letter or digit" },
        { "duplicate provisioner", "already has a provisioner named" },
        { "persistence size", "is not a Kubernetes quantity" },
        { "storage class", "not a valid StorageClass name" },
        { "namespace", "not a valid namespace" },
        { "service name", "not a valid Service name" },
        { "service port", "between 1 and 65535" },
        { "image", "is not an image name" },
        { "image tag", "is not an image tag" },
        { "lifetimes", "0 < min <= default <= max" },
        { "ca dns name", "is not a host name or IP address" },
        { "ca dns name outside constraints", "outside the CA's name constraints" },
        { "imported ca missing file", "does not exist" },
        { "imported ca without key", "Give both the intermediate certificate and its key" },
        { "password not secret", "must be secret" },
        { "ca options", "CIDR" },
        { "issuer without ca", "needs a CA" },
        { "issuer name", "not a valid issuer name" },
        { "letsencrypt email", "is not an e-mail address" },
        { "acme server http", "is not an https ACME directory URL" },
        { "unknown provisioner", "has no provisioner 'nope'" },
        { "account key secret", "not a valid Secret name" },
        { "hostname prefix", "cannot start an sslip.io name" },
        { "hostname address", "is not an IP address" },
        { "zone", "use \"sslip.io\" or \"nip.io\"" },
        { "certificate name", "not a valid Certificate name" },
        { "certificate dns name", "is not a DNS name" },
        { "duplicate secret", "already writes the Secret 'default/shared'" },
        { "duplicate secret by namespace", "already writes the Secret 'shop/app2-secret'" },
        { "short duration", "at least one hour" },
        { "renew before", "shorter than the duration" },
        { "acme challenge", "is not a challenge issued on this machine" },
        { "ingress service", "not a valid Service name" },
        { "wildcard over http-01", "can only be validated over dns-01" },
        { "http-01 then a wildcard", "can only be validated over dns-01" },
        { "host port", "between 1 and 65535" },
        { "missing executable", "does not exist" },
        { "wildcard for a cluster issuer", "needs a DNS-01 solver" },
        { "cluster issuer for a wildcard", "needs a DNS-01 solver" },
    };

    private static int _counter;

    private static void Act(string @case)
    {
        var n = Interlocked.Increment(ref _counter);
        var b = DistributedApplicationTestingBuilder.Create();
        var ca = b.AddStepCa($"ca{n}").WithAcmeProvisioner("acme");
        var host = b.AddSslipHostname($"h{n}", "app");
        switch (@case)
        {
            case "k3s ingress address": b.AddKubeconfigCluster("k").WithIngressAddress("192.168.5"); break;
            case "k3s ingress address shorthand": b.AddKubeconfigCluster("k").WithIngressAddress("10.1"); break;
            case "ingress class": b.AddKubeconfigCluster("k").WithIngressClass("Traefik_2"); break;
            case "app identity": b.AddKubeconfigCluster("k").WithAppIdentity("My Shop/AppHost"); break;
            case "provisioner name": ca.WithAcmeProvisioner("my acme"); break;
            case "provisioner name starting with a dash": ca.WithAcmeProvisioner("-acme"); break;
            case "duplicate provisioner": ca.WithAcmeProvisioner("acme"); break;
            case "persistence size": ca.WithPersistence("1 gigabyte"); break;
            case "storage class": ca.WithPersistence("1Gi", "Local_Path"); break;
            case "namespace": ca.WithNamespace("Step-CA"); break;
            case "service name": ca.WithService("step.ca"); break;
            case "service port": ca.WithService("step-ca", 70000); break;
            case "image": ca.WithImage("smallstep/step-ca:0.30.0@sha256:abc"); break;
            case "image tag": ca.WithImage("smallstep/step-ca", "latest version"); break;
            case "lifetimes": ca.WithCertificateLifetimes(min: TimeSpan.FromHours(2), @default: TimeSpan.FromHours(1)); break;
            case "ca dns name": ca.WithDnsNames("not a name"); break;
            case "ca dns name outside constraints": ca.WithDnsNames("ca.example.com"); break;
            case "imported ca missing file": ca.WithImportedCa("/nonexistent/root_ca.crt", rootKey: "/nonexistent/root_ca.key"); break;
            case "imported ca without key": ca.WithImportedCa("root.crt", intermediateCertificate: "intermediate.crt"); break;
            case "password not secret": ca.WithKeyPassword(b.AddParameter("pw", "x")); break;
            case "ca options": ca.WithCaOptions(o => o.PermittedIpRanges.Add("10.0.0.0/40")); break;
            case "issuer without ca": b.AddCertManagerIssuer("i", null!); break;
            case "issuer name": b.AddCertManagerIssuer("Step-CA", ca); break;
            case "letsencrypt email": b.AddLetsEncryptIssuer("le", "admin-at-example.com"); break;
            case "acme server http": b.AddAcmeIssuer("corp", new Uri("http://acme.corp.example/directory")); break;
            case "unknown provisioner": b.AddCertManagerIssuer("i", ca).WithProvisioner("nope"); break;
            case "account key secret": b.AddCertManagerIssuer("i", ca).WithAccountKeySecret("Account Key"); break;
            case "hostname prefix": b.AddSslipHostname("bad", "-app-"); break;
            case "hostname address": host.WithAddress("localhost"); break;
            case "zone": host.WithZone("example.com"); break;
            case "certificate name": b.AddCertificate("App-TLS", host); break;
            case "certificate dns name": b.AddCertificate("c", host).WithDnsNames("api_test.local"); break;
            case "duplicate secret":
                b.AddCertificate("app1", host).WithSecretName("shared");
                b.AddCertificate("app2", host).WithSecretName("shared");
                break;
            case "duplicate secret by namespace":
                b.AddCertificate("app1", host).WithSecretName("app2-secret").WithNamespace("shop");
                b.AddCertificate("app2", host).WithNamespace("shop");
                break;
            case "short duration": b.AddCertificate("c", host).WithDuration(TimeSpan.FromMinutes(30)); break;
            case "renew before": b.AddCertificate("c", host).WithDuration(TimeSpan.FromDays(1), TimeSpan.FromDays(2)); break;
            case "ingress service": b.AddCertificate("c", host).WithIngress("My Service", 80); break;
            case "acme challenge": b.AddCertificate("c", host).WithAcmeChallenge("tls-alpn-01"); break;
            case "wildcard over http-01": b.AddCertificate("c", host).WithDnsNames("*.app.test").WithAcmeChallenge("http-01"); break;
            case "http-01 then a wildcard": b.AddCertificate("c", host).WithAcmeChallenge("http-01").WithDnsNames("*.app.test"); break;
            case "host port": ca.WithHostPort(0); break;
            case "missing executable": ca.WithExecutable("/nonexistent/step-ca"); break;
            case "wildcard for a cluster issuer": b.AddCertificate("c", host).WithIssuer(b.AddLetsEncryptIssuer("le", "admin@example.com")).WithDnsNames("*.app.test"); break;
            case "cluster issuer for a wildcard": b.AddCertificate("c", host).WithDnsNames("*.app.test").WithIssuer(b.AddLetsEncryptIssuer("le", "admin@example.com")); break;
            default: throw new ArgumentOutOfRangeException(nameof(@case), @case, "unknown case");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_input_is_rejected_with_what_to_write_instead(string @case, string expected)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Act(@case));
        Assert.Contains(expected, ex.Message);
        Assert.DoesNotContain("Object reference", ex.Message);
    }

    [Fact]
    public void Valid_input_of_every_kind_is_accepted()
    {
        using var dir = new TempDirectory();
        var b = DistributedApplicationTestingBuilder.Create();
        var k3s = b.AddKubeconfigCluster("k3s").WithIngressAddress("192.168.5.2").WithIngressClass("nginx").WithKubeconfig(dir.Combine("kubeconfig"), "colima");
        var ca = b.AddStepCa("step-ca").WithAcmeProvisioner("acme").WithAcmeProvisioner("acme-long", p => p.ForceCN = true)
            .WithPersistence("512Mi", "local-path").WithNamespace("pki").WithService("ca", 443).WithImage("smallstep/step-ca", "0.30.0")
            .WithCertificateLifetimes(@default: TimeSpan.FromDays(7), max: TimeSpan.FromDays(90)).WithDnsNames("localhost", "127.0.0.1", "ca.127.0.0.1.sslip.io")
            .WithCaStore(dir.Path).WithKeyPassword(b.AddParameter("pw", secret: true)).InCluster(k3s);
        var issuer = b.AddCertManagerIssuer("step-ca-acme", ca).WithProvisioner("acme-long").WithAccountKeySecret("acct").AsNamespacedIssuer("shop").WithHttp01Solver("nginx");
        var certificate = b.AddCertificate("app-tls", k3s.AddSslipHostname("app"), b.AddSslipHostname("web").WithAddress("10.0.0.5").WithZone("nip.io"))
            .WithDnsNames("api.test").WithIssuer(issuer).WithNamespace("shop").WithSecretName("app-tls").WithDuration(TimeSpan.FromDays(30), TimeSpan.FromDays(10));
        Assert.Equal("https://ca.pki.svc.cluster.local/acme/acme-long/directory", issuer.Resource.AcmeServer.ToString());
        Assert.Equal(["app.192.168.5.2.sslip.io", "web.10.0.0.5.nip.io"], certificate.Resource.Hostnames.Select(h => h.Hostname));
        Assert.Equal(["api.test"], certificate.Resource.DnsNames);
        Assert.Equal(TimeSpan.FromDays(90), ca.Resource.Claims.MaxTlsCertDuration);
        Assert.Equal(2, ca.Resource.Provisioners.Count);
        Assert.Equal(dir.Combine("kubeconfig"), k3s.Resource.KubeconfigPath);
    }
}
