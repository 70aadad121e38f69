// The cluster target's apply pass against the Kubernetes API double, counted by the double's request log: the first
// apply of the playground's cluster model, the same model run again (which must send no write), and a model with 50
// certificates. Loopback only; no step-ca runs, so the rollout wait and the status watches are not part of the pass.
using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using k8s;
using k8s.Models;
using LocalTls.Cluster;
using LocalTls.KubeApiDouble;
using LocalTls.KubeApiDouble.Schemas;
using LocalTls.StepCa;
using Microsoft.Extensions.Logging.Abstractions;

namespace LocalTls.Bench;

internal static class ClusterBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = 50;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--certificates" && i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0)
            {
                count = n;
                i++;
            }
            else
            {
                Console.Error.WriteLine($"error: unknown argument '{args[i]}'. Usage: cluster [--certificates 50]");
                return 2;
            }
        }

        var reference = ReferenceLocation.FromEnvironment() is { Directory: not null } fromEnvironment ? fromEnvironment : ReferenceLocation.Locate(null, Directory.GetCurrentDirectory());
        if (reference.Directory is null)
        {
            Console.Error.WriteLine($"error: reference schemas not found: {reference.MissingReason}. Set {ReferenceLocation.EnvironmentVariable}.");
            return 3;
        }

        var work = Directory.CreateTempSubdirectory("localtls-cluster-bench-").FullName;
        try
        {
            var caStore = Path.Combine(work, "caroot");
            async Task<(KubeApiServer Server, string Kubeconfig)> FreshAsync(string name)
            {
                // A fresh cluster with cert-manager's CRDs and k3s's Traefik IngressClass, as the playground expects.
                var server = await KubeApiServer.StartAsync(reference.Directory);
                var kubeconfig = Path.Combine(work, name);
                server.WriteKubeconfig(kubeconfig);
                await InstallCertManagerCrdsAsync(server.CreateClient(), reference.Directory);
                server.AddTraefikIngressClass();
                return (server, kubeconfig);
            }

            // Warm-up (JIT, the CA's first load) on a throwaway cluster, so the first measured run is not the process's first.
            var (warm, warmConfig) = await FreshAsync("warm-up");
            await using (warm)
            {
                await MeasureAsync(warm, Playground(warmConfig, caStore, certificates: 1));
            }

            var (server, kubeconfig) = await FreshAsync("kubeconfig");
            await using var _ = server;
            var first = await MeasureAsync(server, Playground(kubeconfig, caStore, certificates: 1));
            var again = await MeasureAsync(server, Playground(kubeconfig, caStore, certificates: 1));
            var (fresh, freshConfig) = await FreshAsync("kubeconfig-many");
            await using var __ = fresh;
            var many = await MeasureAsync(fresh, Playground(freshConfig, caStore, certificates: count));

            Console.WriteLine($"Kubernetes API double in-process on loopback; the apply pass as the cluster target runs it (connect, server-side apply, cert-manager and ingress gates, prune), without the rollout wait and status watches.");
            Console.WriteLine($"{"run",-32} {"objects",7} {"requests",8} {"mutating",8} {"reads",6} {"wall ms",8}");
            Print("first apply (playground)", first);
            Print("unchanged re-run", again);
            Print($"first apply, {count} certificates", many);
            Console.WriteLine($"ratios: re-run/first requests {Ratio(again.Requests, first.Requests)}, mutating {again.Mutating}/{first.Mutating}; first apply with {count} certificates/with 1: requests {Ratio(many.Requests, first.Requests)}, wall {Ratio(many.Wall.TotalMilliseconds, first.Wall.TotalMilliseconds)}; requests per rendered object: first {Ratio(first.Requests, first.Objects)}, {count} certificates {Ratio(many.Requests, many.Objects)}");
            return again.Mutating == 0 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private sealed record Result(int Objects, int Requests, int Mutating, int Reads, TimeSpan Wall);

    private static void Print(string name, Result r) =>
        Console.WriteLine($"{name,-32} {r.Objects,7} {r.Requests,8} {r.Mutating,8} {r.Reads,6} {r.Wall.TotalMilliseconds,8:0}");

    private static string Ratio(double a, double b) => b == 0 ? "n/a" : (a / b).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The playground's cluster model (playground/LocalTls.Playground.AppHost with Playground:Target=cluster), with <paramref name="certificates"/> certificates.</summary>
    private static IReadOnlyList<IResource> Playground(string kubeconfig, string caStore, int certificates)
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = [$"--contentRoot={AppContext.BaseDirectory}", "--hostBuilder:reloadConfigOnChange=false"], DisableDashboard = true });
        var k3s = builder.AddKubeconfigCluster("k3s").WithKubeconfig(kubeconfig).WithIngressClass("traefik").WithIngressAddress("192.168.5.2").WithAppIdentity("playground");
        var ca = builder.AddStepCa("step-ca").WithAcmeProvisioner("acme").WithCaStore(caStore).WithPersistence("1Gi", "local-path").InCluster(k3s);
        var issuer = builder.AddCertManagerIssuer("step-ca-acme", ca).WithHttp01Solver();
        builder.AddLetsEncryptIssuer("letsencrypt-prod", email: "admin@example.com");
        for (var i = 0; i < certificates; i++)
        {
            var name = i == 0 ? "app" : $"app{i}";
            builder.AddCertificate($"{name}-tls", k3s.AddSslipHostname(name)).WithIssuer(issuer);
        }

        return [.. builder.Resources];
    }

    private static async Task<Result> MeasureAsync(KubeApiServer server, IReadOnlyList<IResource> model)
    {
        var cluster = model.OfType<KubeconfigClusterResource>().Single();
        var set = ClusterManifests.Render(model, production: false, ca => StepCaMaterial.Load(ca));
        server.Requests.Clear();
        var watch = Stopwatch.StartNew();
        var connection = await ClusterConnector.ConnectAsync(cluster, CancellationToken.None);
        var inventory = await ClusterInventory.ReadAsync(connection.Client, cluster.AppIdentity!, CancellationToken.None);
        var issuers = set.Objects.Where(o => o is LocalTls.CertManager.ClusterIssuer or LocalTls.CertManager.Issuer).ToList();
        var later = set.Objects.Where(o => o is LocalTls.CertManager.ClusterIssuer or LocalTls.CertManager.Issuer or LocalTls.CertManager.Certificate or V1Ingress).ToList();
        foreach (var obj in set.Objects.Except(later).Where(o => !inventory.IsCurrent(ClusterInventory.ToApply(o))))
        {
            await ClusterTarget.ApplyAsync(connection.Client, obj, CancellationToken.None);
        }

        // The gates as they are asked (the double runs no cert-manager webhook here, so the dry run's answer is not looked at).
        await ClusterTarget.CertManagerProblemAsync(connection.Client, CancellationToken.None);
        await ClusterConnector.IngressProblemAsync(connection.Client, ClusterConnector.IngressClassesUsed(set.Objects), CancellationToken.None);
        foreach (var obj in issuers.Concat(later.Except(issuers)).Where(o => !inventory.IsCurrent(ClusterInventory.ToApply(o))))
        {
            await ClusterTarget.ApplyAsync(connection.Client, obj, CancellationToken.None);
        }

        await inventory.PruneAsync(connection.Client, set.Objects, NullLogger.Instance, CancellationToken.None);
        watch.Stop();
        connection.Client.Dispose();
        var requests = server.Requests.Snapshot();
        return new Result(set.Objects.Count, requests.Count, requests.Count(r => r.IsMutating), requests.Count(r => r.Method == "GET"), watch.Elapsed);
    }

    private static async Task InstallCertManagerCrdsAsync(IKubernetes client, string reference)
    {
        foreach (var file in Directory.GetFiles(Path.Combine(reference, "cert-manager", "crds"), "*.yaml").Order(StringComparer.Ordinal))
        {
            foreach (var crd in KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(file)).OfType<V1CustomResourceDefinition>())
            {
                await client.ApiextensionsV1.PatchCustomResourceDefinitionAsync(new V1Patch(KubernetesJson.Serialize(crd), V1Patch.PatchType.ApplyPatch), crd.Metadata.Name, fieldManager: "bench");
            }
        }
    }
}
