#:package Microsoft.Playwright@1.64.1
#:property PublishAot=false
#:property ManagePackageVersionsCentrally=false
#:property GenerateDocumentationFile=false

// Takes the README's dashboard pictures from a running playground, with Debian's Chromium.
// Usage (eng/screenshots.sh runs it): dotnet run eng/screenshots/screenshots.cs -- <dashboard login URL> <docs dir> [cluster]
// "cluster": the playground in cluster mode (against the Kubernetes API double), one picture: dashboard-cluster.png.
using Microsoft.Playwright;

if (args.Length is not (2 or 3) || (args.Length == 3 && args[2] != "cluster"))
{
    Console.Error.WriteLine("usage: screenshots.cs <dashboard login URL, http://localhost:15080/login?t=...> <output directory> [cluster]");
    return 1;
}

var (login, output) = (args[0], args[1]);
var cluster = args.Length == 3;
Directory.CreateDirectory(output);
using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new()
{
    ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium",
    Args = ["--no-sandbox", "--disable-gpu"],
});
// The cluster picture shows the grid and a certificate's details side by side: wider, so neither is cut short.
var page = await browser.NewPageAsync(new() { ViewportSize = cluster ? new() { Width = 2100, Height = 900 } : new() { Width = 1700, Height = 860 }, ColorScheme = ColorScheme.Light });
page.SetDefaultTimeout(90_000);
await page.GotoAsync(login);

// The resources page, once every certificate is issued and the web project runs.
try
{
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            foreach (var name in cluster ? ["k3s", "step-ca", "step-ca-acme", "app-tls"] : new[] { "web-tls", "wildcard-tls", "web" })
            {
                await page.Locator($"tr:has(:text-is('{name}')):has-text('Running')").First.WaitForAsync(new() { Timeout = 60_000 });
            }

            break;
        }
        catch (TimeoutException) when (attempt < 3)
        {
            // The dashboard's page can fail while the app is still starting ("An unhandled error has occurred").
            await page.ReloadAsync();
        }
    }

    // Aspire's notice that its own development certificate is untrusted here says nothing about LocalTls.
    try
    {
        await page.Locator(".dashboard-message-bar-dismiss").First.ClickAsync(new() { Timeout = 5_000 });
    }
    catch (TimeoutException)
    {
    }

    await page.WaitForTimeoutAsync(2000); // let the grid settle (health icons, URLs)
    if (cluster)
    {
        // The grid beside the issued certificate's details: the cluster, its CA and cert-manager's view at once.
        await page.Locator("tr:has(:text-is('app-tls'))").First.ClickAsync();
        await page.GetByText("Serial", new() { Exact = true }).First.WaitForAsync();
        await page.WaitForTimeoutAsync(1500);
        await page.ScreenshotAsync(new() { Path = Path.Combine(output, "dashboard-cluster.png") });
        Console.WriteLine($"wrote {Path.Combine(output, "dashboard-cluster.png")}");
        return 0;
    }

    // The grid only, not the empty page below it.
    var box = await page.Locator("table").First.BoundingBoxAsync();
    var height = Math.Min(860, (box?.Y ?? 0) + (box?.Height ?? 800) + 16);
    await page.ScreenshotAsync(new() { Path = Path.Combine(output, "dashboard.png"), Clip = new() { X = 0, Y = 0, Width = 1700, Height = height } });
    Console.WriteLine($"wrote {Path.Combine(output, "dashboard.png")}");

    // A certificate's details: names, expiry and renewal in the default view.
    await page.Locator("tr:has(:text-is('web-tls'))").First.ClickAsync();
    await page.GetByText("Expires", new() { Exact = true }).First.WaitForAsync();
    await page.WaitForTimeoutAsync(1000);
    await page.ScreenshotAsync(new() { Path = Path.Combine(output, "certificate-details.png") });
    Console.WriteLine($"wrote {Path.Combine(output, "certificate-details.png")}");

    // The CA's details: the step-ca binary and version that run, its health, ACME directory and root.
    await page.Locator("tr:has(:text-is('step-ca'))").First.ClickAsync();
    await page.GetByText("Version", new() { Exact = true }).First.WaitForAsync();
    await page.WaitForTimeoutAsync(1000);
    await page.ScreenshotAsync(new() { Path = Path.Combine(output, "ca-details.png") });
    Console.WriteLine($"wrote {Path.Combine(output, "ca-details.png")}");
    return 0;
}
catch (TimeoutException)
{
    // What the page showed instead, to see which step did not come.
    await page.ScreenshotAsync(new() { Path = Path.Combine(output, "screenshots-failed.png") });
    Console.Error.WriteLine($"timed out; the page as it was: {Path.Combine(output, "screenshots-failed.png")}");
    throw;
}
