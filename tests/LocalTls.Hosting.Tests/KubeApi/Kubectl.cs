using LocalTls.Tests.TestSupport;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.KubeApi;

/// <summary>
/// A real kubectl: the oldest or newest of the <c>kubectl.1.NN</c> binaries beside the Google Cloud CLI's <c>kubectl</c>
/// dispatcher (1.27 and 1.33 on our machines), else the one plain <c>kubectl</c> on PATH (Debian's kubernetes-client).
/// </summary>
internal static class Kubectl
{
    /// <summary>The binary for <paramref name="which"/> ("oldest" or "newest"); fails (CI) or skips without one, saying how to get it.</summary>
    public static string Require(string which)
    {
        var onPath = Tool.Find("kubectl");
        if (onPath is not null)
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(ResolveLink(onPath)))!;
            var versioned = Directory.GetFiles(directory, "kubectl.1.*")
                .Select(f => (Path: f, Minor: int.TryParse(Path.GetFileName(f)["kubectl.1.".Length..], out var m) ? m : -1))
                .Where(v => v.Minor >= 0)
                .OrderBy(v => v.Minor)
                .ToList();
            if (versioned.Count > 0)
            {
                return which == "oldest" ? versioned[0].Path : versioned[^1].Path;
            }

            return onPath;
        }

        var message = "kubectl not found: install the Google Cloud CLI's kubectl component (it brings kubectl.1.27 … kubectl.1.33 " +
            "beside its dispatcher), or Debian's kubernetes-client (apt-get install kubernetes-client).";
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
