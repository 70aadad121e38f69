using System.Collections;
using LocalTls.Tests.TestSupport;
using Microsoft.Playwright;

namespace LocalTls.Tests.Trust;

/// <summary>
/// The proof that matters: a real Chromium (Debian's, driven by Playwright) with a temporary HOME refuses our site
/// until <c>localtls trust install --store nss</c>, loads it after, and refuses it again after uninstall.
/// </summary>
public class ChromiumTrustTests
{
    private const string HostName = "web.127.0.0.1.sslip.io";

    [Fact]
    public async Task Chromium_refuses_the_site_trusts_it_after_install_and_refuses_it_again_after_uninstall()
    {
        var ct = TestContext.Current.CancellationToken;
        var chromium = Tool.Require("chromium", "chromium");
        Tool.Require("certutil", "libnss3-tools");
        using var bed = new TrustBed();
        var firefox = await bed.NewNssDatabaseAsync(".mozilla", "firefox", "t3st.default-release");
        await using var site = await LoopbackHttpsSite.StartAsync(bed.Material, HostName, ct);
        var url = $"https://{HostName}:{site.Port}/";
        using var playwright = await Playwright.CreateAsync();

        var before = await OpenAsync(playwright, chromium, bed, url);
        Assert.True(before.Error is not null, $"Chromium loaded {url} before the root was trusted: {before.Text}");
        Assert.Contains("net::ERR_CERT_AUTHORITY_INVALID", before.Error);

        var install = bed.Cli("trust", "install", "--store", "nss");
        Assert.True(install.ExitCode == 0, install.Stdout + install.Stderr);
        Assert.Contains(Path.Combine(bed.Home, ".pki", "nssdb"), install.Stdout);

        var trusted = await OpenAsync(playwright, chromium, bed, url);
        Assert.True(trusted.Error is null, $"Chromium refused {url} after 'trust install --store nss': {trusted.Error}");
        Assert.Equal(LoopbackHttpsSite.PageText, trusted.Text);
        Assert.Matches($@"(?m)^{bed.UniqueName}\s+C,,", await TrustBed.NssListAsync(firefox));

        var uninstall = bed.Cli("trust", "uninstall", "--store", "nss");
        Assert.True(uninstall.ExitCode == 0, uninstall.Stdout + uninstall.Stderr);

        var after = await OpenAsync(playwright, chromium, bed, url);
        Assert.True(after.Error is not null, $"Chromium still loaded {url} after 'trust uninstall --store nss': {after.Text}");
        Assert.Contains("net::ERR_CERT_AUTHORITY_INVALID", after.Error);
        Assert.DoesNotContain(bed.UniqueName, await TrustBed.NssListAsync(firefox));
    }

    private sealed record Visit(string? Text, string? Error);

    /// <summary>
    /// A new browser each time (Chromium reads NSS when it starts), with a fresh user-data dir so no earlier decision
    /// is cached, the temporary HOME (headless Chromium reads $HOME/.pki/nssdb) and the sslip.io name mapped to loopback.
    /// </summary>
    private static async Task<Visit> OpenAsync(IPlaywright playwright, string chromium, TrustBed bed, string url)
    {
        var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string)e.Value!);
        environment["HOME"] = bed.Home;
        var userData = Directory.CreateTempSubdirectory("localtls-chromium-").FullName;
        try
        {
            await using var context = await playwright.Chromium.LaunchPersistentContextAsync(userData, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Env = environment,
                Args =
                [
                    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-proxy-server", $"--host-resolver-rules=MAP {HostName} 127.0.0.1",
                ],
                Timeout = 60_000,
            });
            var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
            try
            {
                var response = await page.GotoAsync(url, new PageGotoOptions { Timeout = 30_000 });
                Assert.NotNull(response);
                Assert.Equal(200, response.Status);
                return new Visit((await page.InnerTextAsync("body")).Trim(), null);
            }
            catch (PlaywrightException e)
            {
                return new Visit(null, e.Message);
            }
        }
        finally
        {
            Directory.Delete(userData, recursive: true);
        }
    }
}
