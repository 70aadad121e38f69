using System.Net;
using System.Security.Cryptography.X509Certificates;
using LocalTls.Pki;
using LocalTls.Tests.Cli;
using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LocalTls.Tests.Trust;

/// <summary>A temporary HOME and a CA store with a fresh CA: what every trust test starts from.</summary>
internal sealed class TrustBed : IDisposable
{
    public TrustBed(CaMaterial? material = null)
    {
        Material = material ?? TestCa.Create("LocalTls Trust Test");
        Directory.CreateDirectory(Home);
        new CaStore(CaRoot).Save(Material);
    }

    public TempDirectory Temp { get; } = new("localtls-trust");

    public CaMaterial Material { get; }

    public string Home => Temp.Combine("home");

    public string CaRoot => Temp.Combine("caroot");

    public string RootPath => Path.Combine(CaRoot, "root_ca.crt");

    /// <summary>The NSS nickname and Java alias install uses for this root.</summary>
    public string UniqueName => $"localtls-root-{Material.RootFingerprint}";

    public CliResult Cli(params string[] args) => LocalTlsCli.Run([.. args, "--caroot", CaRoot, "--home", Home]);

    /// <summary>An empty NSS database, as Firefox creates in a profile or Chromium in ~/.pki/nssdb.</summary>
    public async Task<string> NewNssDatabaseAsync(params string[] underHome)
    {
        var certutil = Tool.Require("certutil", "libnss3-tools");
        var dir = Path.Combine([Home, .. underHome]);
        Directory.CreateDirectory(dir);
        var created = await Tool.RunAsync(certutil, ["-N", "-d", "sql:" + dir, "--empty-password"], timeout: TimeSpan.FromSeconds(30));
        Assert.True(created.ExitCode == 0, created.Output);
        return dir;
    }

    public static async Task<string> NssListAsync(string db)
    {
        var certutil = Tool.Require("certutil", "libnss3-tools");
        var listed = await Tool.RunAsync(certutil, ["-L", "-d", "sql:" + db], timeout: TimeSpan.FromSeconds(30));
        Assert.True(listed.ExitCode == 0, listed.Output);
        return listed.Stdout;
    }

    public void Dispose() => Temp.Dispose();
}

/// <summary>A loopback Kestrel serving one page over TLS with a leaf issued by the CA's intermediate.</summary>
internal sealed class LoopbackHttpsSite : IAsyncDisposable
{
    public const string PageText = "served over LocalTls";

    private readonly WebApplication _app;

    private LoopbackHttpsSite(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<LoopbackHttpsSite> StartAsync(CaMaterial ca, string hostName, CancellationToken cancellationToken)
    {
        var (leaf, key) = CaGenerator.IssueLeaf(ca, [hostName], TimeSpan.FromHours(1));
        using var pem = X509Certificate2.CreateFromPem(Pem.EncodeCertificate(leaf), Pem.EncodePrivateKey(key));
        // A PKCS#12 round trip gives a key SslStream can use on every platform.
        var serverCertificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var intermediate = X509CertificateLoader.LoadCertificate(Pem.ReadCertificate(ca.IntermediateCertificatePem, "intermediate").GetEncoded());

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
        {
            ServerCertificate = serverCertificate,
            ServerCertificateChain = [intermediate],
        })));
        var app = builder.Build();
        app.MapGet("/", () => PageText);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new LoopbackHttpsSite(app, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
