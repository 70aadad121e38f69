using LocalTls.Tests.TestSupport;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.KubeApi;

/// <summary>
/// A real kubectl of a given minor version: <c>kubectl.1.NN</c> beside the Google Cloud CLI's <c>kubectl</c> dispatcher,
/// else a plain <c>kubectl</c> that reports that version (Debian's kubernetes-client).
/// </summary>
internal static class Kubectl
{
    /// <summary>The binary; skips the test without one, and fails it under CI with how to install it.</summary>
    public static async Task<string> RequireAsync(string minor)
    {
        var onPath = Tool.Find("kubectl");
        if (onPath is not null)
        {
            var beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ResolveLink(onPath)))!, $"kubectl.{minor}");
            if (File.Exists(beside))
            {
                return beside;
            }

            var version = await Tool.RunAsync(onPath, ["version", "--client", "-o", "json"], timeout: TimeSpan.FromSeconds(30));
            if (version.ExitCode == 0 && version.Stdout.Contains($"\"minor\": \"{minor.Split('.')[1]}\"", StringComparison.Ordinal))
            {
                return onPath;
            }
        }

        var message = $"kubectl {minor} not found: install the Google Cloud CLI's kubectl component (gcloud components install kubectl, " +
            $"which brings kubectl.1.27 … kubectl.1.33 beside the dispatcher), or put a kubectl {minor} on PATH.";
        if (ReferenceFiles.IsCi)
        {
            Assert.Fail(message + " CI=true, so this is a failure, not a skip.");
        }

        Assert.Skip(message);
        return "";
    }

    private static string ResolveLink(string path)
    {
        var target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true);
        return target?.FullName ?? path;
    }

    /// <summary>Runs kubectl with its own HOME and KUBECONFIG (it writes a discovery cache under ~/.kube/cache).</summary>
    public static Task<Tool.Result> RunAsync(string kubectl, TempDirectory home, params string[] args) =>
        Tool.RunAsync(kubectl, args, home.Path, TimeSpan.FromSeconds(90), new Dictionary<string, string>
        {
            ["HOME"] = home.Path,
            ["KUBECONFIG"] = home.Combine("kubeconfig"),
        });
}
