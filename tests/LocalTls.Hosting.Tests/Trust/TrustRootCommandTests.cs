using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LocalTls.Pki;
using LocalTls.Trust;
using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Trust;

/// <summary>The dashboard's Trust root CA command trusts the CA's root in this user's NSS database, and says how to reach the system store.</summary>
public class TrustRootCommandTests
{
    [Fact]
    public async Task Trust_root_CA_on_the_dashboard_puts_the_root_into_this_users_nss_database()
    {
        var certutil = Tool.Require("certutil", "apt-get install libnss3-tools");
        using var dir = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var home = dir.Combine("home");
        Directory.CreateDirectory(Path.Combine(home, ".pki", "nssdb"));
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.AddStepCa("step-ca").WithCaStore(dir.Combine("caroot")).WithExecutable(StepCaBinary.Path);
        builder.Services.AddSingleton(new TrustOptions { Home = home, UseSudo = false });
        await using var app = await builder.BuildAsync(ct);
        await app.StartAsync(ct).WaitAsync(TimeSpan.FromMinutes(2), ct);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("step-ca", ct).WaitAsync(TimeSpan.FromSeconds(60), ct);

        var result = await app.ResourceCommands.ExecuteCommandAsync("step-ca", TrustRootCommand.Name, ct);
        Assert.True(result.Success, result.Message);
        Assert.Contains("sudo localtls trust install --store system", result.Message);

        var fingerprint = new CaStore(dir.Combine("caroot")).Load().RootFingerprint;
        var export = await app.ResourceCommands.ExecuteCommandAsync("step-ca", TrustRootCommand.ExportName, ct);
        Assert.True(export.Success, export.Message);
        Assert.Contains(fingerprint, export.Data!.Value);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", export.Data.Value);
        var listed = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(certutil, ["-L", "-d", $"sql:{Path.Combine(home, ".pki", "nssdb")}"]) { RedirectStandardOutput = true })!;
        var output = await listed.StandardOutput.ReadToEndAsync(ct);
        await listed.WaitForExitAsync(ct);
        Assert.Contains($"localtls-root-{fingerprint}", output);
        await app.StopAsync(ct);
    }
}
