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
    public async Task With_k3s_system_it_holds_a_CoreDNS_that_imports_coredns_custom()
    {
        using var temp = new TempDirectory();
        var kubeconfig = temp.Combine("kubeconfig");
        using var process = Start("--listen", "127.0.0.1:0", "--kubeconfig", kubeconfig, "--no-kubelet", "--k3s-system");
        try
        {
            for (var i = 0; i < 300 && !process.HasExited && !(await process.StandardOutput.ReadLineAsync(Ct) ?? "").Contains("Kubernetes API double on", StringComparison.Ordinal); i++)
            {
            }

            Assert.True(File.Exists(kubeconfig), $"no kubeconfig written; exited: {process.HasExited}");
            var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
            Assert.Null(await LocalTls.Cluster.CoreDnsOverride.NotSupportedReasonAsync(client, Ct));
            Assert.Equal(LocalTls.KubeApiDouble.K3sSystem.TraefikClusterIp, (await client.CoreV1.ReadNamespacedServiceAsync("traefik", "kube-system", cancellationToken: Ct)).Spec.ClusterIP);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task Given_a_step_ca_it_runs_the_step_ca_Deployment_applied_to_it()
    {
        using var temp = new TempDirectory();
        var kubeconfig = temp.Combine("kubeconfig");
        using var process = Start("--listen", "127.0.0.1:0", "--kubeconfig", kubeconfig, "--step-ca", StepCa.StepCaBinary.Path);
        try
        {
            for (var i = 0; i < 300 && !File.Exists(kubeconfig) && !process.HasExited; i++)
            {
                await Task.Delay(100, Ct);
            }

            var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
            var ca = Cluster.ModelFixtures.Seed().Ca;
            foreach (var obj in LocalTls.StepCa.StepCaKubernetesRenderer.Render(ca, Cluster.ModelFixtures.Ca.Value, null))
            {
                var json = LocalTls.Cluster.ManifestYaml.ToJson(obj);
                var patch = new k8s.Models.V1Patch(json.ToJsonString(), k8s.Models.V1Patch.PatchType.ApplyPatch);
                var name = (string)json["metadata"]!["name"]!;
                _ = obj switch
                {
                    k8s.Models.V1Namespace => (object)await client.CoreV1.PatchNamespaceAsync(patch, name, fieldManager: "localtls", cancellationToken: Ct),
                    k8s.Models.V1ConfigMap => await client.CoreV1.PatchNamespacedConfigMapAsync(patch, name, ca.Namespace, fieldManager: "localtls", cancellationToken: Ct),
                    k8s.Models.V1Secret => await client.CoreV1.PatchNamespacedSecretAsync(patch, name, ca.Namespace, fieldManager: "localtls", cancellationToken: Ct),
                    k8s.Models.V1PersistentVolumeClaim => await client.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(patch, name, ca.Namespace, fieldManager: "localtls", cancellationToken: Ct),
                    k8s.Models.V1Service => await client.CoreV1.PatchNamespacedServiceAsync(patch, name, ca.Namespace, fieldManager: "localtls", cancellationToken: Ct),
                    k8s.Models.V1Deployment => await client.AppsV1.PatchNamespacedDeploymentAsync(patch, name, ca.Namespace, fieldManager: "localtls", cancellationToken: Ct),
                    _ => throw new InvalidOperationException($"unexpected {obj.Kind}"),
                };
            }

            int? ready = null;
            for (var i = 0; i < 150 && ready != 1; i++)
            {
                await Task.Delay(200, Ct);
                ready = (await client.AppsV1.ReadNamespacedDeploymentAsync(ca.ServiceName, ca.Namespace, cancellationToken: Ct)).Status?.ReadyReplicas;
            }

            Assert.Equal(1, ready);
            using var http = new HttpClient { BaseAddress = new Uri(client.BaseUri.ToString()) };
            http.DefaultRequestHeaders.Authorization = new("Bearer", LocalTls.KubeApiDouble.KubeApiServer.BearerToken);
            var health = await http.GetStringAsync($"/api/v1/namespaces/{ca.Namespace}/services/https:{ca.ServiceName}:{ca.Port}/proxy/health", Ct);
            Assert.Contains("\"ok\"", health, StringComparison.Ordinal);
        }
        finally
        {
            // SIGTERM, as Ctrl+C or a service manager would: the double stops step-ca and removes its folders itself.
            await StopAsync(process);
        }

        Assert.Equal(0, process.ExitCode);
    }

    private static async Task StopAsync(Process process)
    {
        using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync(Ct);
        }

        using var grace = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        grace.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Ct);
        }
    }

    private static async Task WaitForFileAsync(string path, Process process)
    {
        for (var i = 0; i < 300 && !File.Exists(path) && !process.HasExited; i++)
        {
            await Task.Delay(100, Ct);
        }

        Assert.True(File.Exists(path), $"no kubeconfig written; exited: {process.HasExited}");
    }

    [Fact]
    public async Task By_default_it_brings_the_cert_manager_stand_in_and_kubectl_wait_sees_the_applied_seed_Certificate_Ready()
    {
        var kubectl = Kubectl.Require("newest");
        using var home = new TempDirectory();
        var kubeconfig = home.Combine("kubeconfig");
        using var process = Start("--listen", "127.0.0.1:0", "--kubeconfig", kubeconfig, "--step-ca", StepCa.StepCaBinary.Path);
        try
        {
            await WaitForFileAsync(kubeconfig, process);
            var crds = await Kubectl.RunAsync(kubectl, home, "apply", "--server-side", "-f", ReferenceFiles.PathTo("cert-manager", "crds"));
            Assert.True(crds.ExitCode == 0, crds.Output);
            var objects = LocalTls.Cluster.ClusterManifests.Render(Cluster.ModelFixtures.Resources(Cluster.ModelFixtures.Seed()), production: false, _ => Cluster.ModelFixtures.Ca.Value).Objects;
            File.WriteAllText(home.Combine("manifests.yaml"), LocalTls.Cluster.ManifestYaml.Write(objects));
            var apply = await Kubectl.RunAsync(kubectl, home, "apply", "--server-side", "-f", home.Combine("manifests.yaml"));
            Assert.True(apply.ExitCode == 0, apply.Output);

            var wait = await Kubectl.RunAsync(kubectl, home, "wait", "--for=condition=Ready", "clusterissuer/step-ca-acme", "certificate/test-tls", "--timeout=90s");
            Assert.True(wait.ExitCode == 0, wait.Output);
            var type = await Kubectl.RunAsync(kubectl, home, "get", "secret", "test-tls-secret", "-o", "jsonpath={.type}");
            Assert.Equal("kubernetes.io/tls", type.Stdout);
        }
        finally
        {
            await StopAsync(process);
        }

        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task With_no_cert_manager_it_leaves_the_stand_in_out()
    {
        var kubectl = Kubectl.Require("newest");
        using var home = new TempDirectory();
        var kubeconfig = home.Combine("kubeconfig");
        using var process = Start("--listen", "127.0.0.1:0", "--kubeconfig", kubeconfig, "--no-kubelet", "--no-cert-manager");
        try
        {
            await WaitForFileAsync(kubeconfig, process);
            var crds = await Kubectl.RunAsync(kubectl, home, "apply", "--server-side", "-f", ReferenceFiles.PathTo("cert-manager", "crds"));
            Assert.True(crds.ExitCode == 0, crds.Output);
            File.WriteAllText(home.Combine("issuer.yaml"), """
                apiVersion: cert-manager.io/v1
                kind: ClusterIssuer
                metadata:
                  name: nobody-registers-this
                spec:
                  acme:
                    server: https://step-ca.step-ca.svc.cluster.local:9000/acme/acme/directory
                    privateKeySecretRef:
                      name: nobody-registers-this
                    solvers:
                    - http01:
                        ingress:
                          ingressClassName: traefik
                """);
            var apply = await Kubectl.RunAsync(kubectl, home, "apply", "--server-side", "-f", home.Combine("issuer.yaml"));
            Assert.True(apply.ExitCode == 0, apply.Output);

            // With the stand-in, this issuer would get a Ready condition (False: nothing answers) within a second or two.
            await Task.Delay(3000, Ct);
            var status = await Kubectl.RunAsync(kubectl, home, "get", "clusterissuer", "nobody-registers-this", "-o", "jsonpath={.status}");
            Assert.True(status.ExitCode == 0, status.Output);
            Assert.Equal("", status.Stdout.Trim());
        }
        finally
        {
            await StopAsync(process);
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
