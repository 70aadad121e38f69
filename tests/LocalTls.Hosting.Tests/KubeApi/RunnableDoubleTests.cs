using System.Diagnostics;
using k8s;
using LocalTls.Tests.TestSupport;
using LocalTls.Tests.TestSupport.Schemas;

namespace LocalTls.Tests.KubeApi;

/// <summary>The double as its own process, as a person runs it: <c>--listen</c>, <c>--kubeconfig</c>, serves until stopped.</summary>
public class RunnableDoubleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "LocalTls.KubeApiDouble.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment[ReferenceFiles.EnvironmentVariable] = ReferenceFiles.Require();
        return Process.Start(info)!;
    }

    [Fact]
    public async Task It_writes_a_kubeconfig_that_KubernetesClient_uses_and_serves_until_stopped()
    {
        using var temp = new TempDirectory();
        var kubeconfig = temp.Combine("kubeconfig");
        using var process = Start("--listen", "127.0.0.1:0", "--kubeconfig", kubeconfig);
        try
        {
            for (var i = 0; i < 300 && !File.Exists(kubeconfig) && !process.HasExited; i++)
            {
                await Task.Delay(100, Ct);
            }

            Assert.True(File.Exists(kubeconfig), $"no kubeconfig written; exited: {process.HasExited}");
            var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
            var namespaces = await client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);
            Assert.Equal(["default"], namespaces.Items.Select(n => n.Metadata.Name));
            Assert.StartsWith("http://127.0.0.1:", KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig).Host, StringComparison.Ordinal);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task It_refuses_to_listen_anywhere_but_loopback()
    {
        using var process = Start("--listen", "0.0.0.0:0");
        var stderr = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.Equal(1, process.ExitCode);
        Assert.Contains("loopback", stderr, StringComparison.Ordinal);
    }
}
