using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using k8s;
using LocalTls.Cluster;
using LocalTls.KubeApiDouble;
using LocalTls.KubeApiDouble.CertManager;
using LocalTls.Tests.KubeApi;
using LocalTls.Tests.StepCa;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

using static LocalTls.Tests.Cluster.ClusterApp;

namespace LocalTls.Tests.Cluster;

/// <summary>
/// WithCertManagerInstall: the release manifest downloaded from a loopback stand-in of the releases page and applied
/// into the API double (whose cert-manager stand-in then answers), a failed download and a refused document shown
/// with the command that installs it by hand, and a re-run that leaves an answering cert-manager alone.
/// </summary>
public class CertManagerInstallTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("v1.21.1", "without the 'v'")]
    [InlineData("latest", "e.g. \"1.21.1\"")]
    [InlineData("1.21", "e.g. \"1.21.1\"")]
    public void The_version_is_checked_where_it_is_written(string version, string hint)
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        var ex = Assert.Throws<ArgumentException>(() => builder.AddKubeconfigCluster("k3s").WithCertManagerInstall(version));
        Assert.Contains(hint, ex.Message, StringComparison.Ordinal);
        Assert.Equal("version", ex.ParamName);
        builder.AddKubeconfigCluster("k3s2").WithCertManagerInstall("1.22.0-beta.0");
    }

    [Fact]
    public async Task The_release_is_applied_cert_manager_answers_the_issuer_turns_Ready_and_a_rerun_applies_nothing_of_it()
    {
        using var dir = new TempDirectory();
        await using var release = CertManagerRelease.Serve("1.21.1");
        CertManagerInstall.ReleasesBaseUri = release.BaseUri;
        await using var server = await DoubleClient.StartAsync();
        await server.CreateClient().CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new() { Name = "kube-system" } }, cancellationToken: Ct); // every cluster has it
        server.AddTraefikIngressClass(); // k3s's: the HTTP-01 solver's class
        await using var certManager = CertManagerStandIn.Start(server);
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        var kubeconfig = dir.Combine("kubeconfig");
        server.WriteKubeconfig(kubeconfig);

        await using (var app = await Seed(kubeconfig, dir.Combine("caroot"), k => k.WithCertManagerInstall("1.21.1")).BuildAsync(Ct))
        {
            await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
            var issuer = await app.ResourceNotifications.WaitForResourceAsync("step-ca-acme", e => e.Snapshot.State?.Text is "Running" or "Failed" or "FailedToStart", Ct).WaitAsync(TimeSpan.FromSeconds(180), Ct);
            Assert.True(issuer.Snapshot.State?.Text == KnownResourceStates.Running, Property(issuer, "localtls.problem"));
            var cluster = await app.ResourceNotifications.WaitForResourceAsync("k3s", e => Property(e, "localtls.certManager")?.Contains("applied", StringComparison.Ordinal) == true, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.StartsWith("v1.21.1 applied (", Property(cluster, "localtls.certManager"));
            var issued = await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => e.Snapshot.State?.Text is "Running" or "Failed", Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
            Assert.True(issued.Snapshot.State?.Text == KnownResourceStates.Running, Property(issued, "localtls.problem"));
            await app.StopAsync(Ct);
        }

        Assert.Equal(1, release.Requests);
        var client = server.CreateClient();
        foreach (var name in CertManagerRelease.Deployments)
        {
            var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(name, "cert-manager", cancellationToken: Ct);
            Assert.Contains(deployment.Metadata.ManagedFields, f => f.Manager == ClusterTarget.FieldManager && f.Operation == "Apply");
        }

        Assert.NotNull(await client.CoreV1.ReadNamespacedServiceAccountAsync("cert-manager-webhook", "cert-manager", cancellationToken: Ct));
        Assert.NotNull(await client.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync("cert-manager-webhook", cancellationToken: Ct));
        Assert.NotNull(await client.RbacAuthorizationV1.ReadNamespacedRoleBindingAsync("cert-manager:leaderelection", "kube-system", cancellationToken: Ct));
        var crd = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("certificates.cert-manager.io", cancellationToken: Ct);
        Assert.Contains(crd.Metadata.ManagedFields, f => f.Manager == ClusterTarget.FieldManager);

        // Run again: cert-manager answers, so nothing is downloaded and none of its objects is written.
        server.Requests.Clear();
        await using (var again = await Seed(kubeconfig, dir.Combine("caroot"), k => k.WithCertManagerInstall("1.21.1")).BuildAsync(Ct))
        {
            await again.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
            var cluster = await again.ResourceNotifications.WaitForResourceAsync("k3s", e => Property(e, "localtls.certManager") is not null, Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
            Assert.Equal("already installed and answering: v1.21.1 not applied", Property(cluster, "localtls.certManager"));
            await again.ResourceNotifications.WaitForResourceAsync("step-ca-acme", e => e.Snapshot.State?.Text == KnownResourceStates.Running, Ct).WaitAsync(TimeSpan.FromSeconds(120), Ct);
            await again.StopAsync(Ct);
        }

        Assert.Equal(1, release.Requests);
        string[] manifestPaths = ["/namespaces/cert-manager", "customresourcedefinitions", "clusterroles", "clusterrolebindings", "/roles", "/rolebindings", "webhookconfigurations"];
        var writes = server.Requests.Snapshot().Where(r => r.IsMutating && manifestPaths.Any(p => r.Path.Contains(p, StringComparison.Ordinal))).ToList();
        Assert.True(writes.Count == 0, string.Join(", ", writes.Select(w => $"{w.Method} {w.Path}")));
    }

    [Fact]
    public async Task An_unreachable_release_url_leaves_issuers_Waiting_with_the_reason_and_the_command()
    {
        using var dir = new TempDirectory();
        CertManagerInstall.ReleasesBaseUri = new Uri($"http://127.0.0.1:{CertManagerRelease.FreePort()}/");
        await using var server = await DoubleClient.StartAsync();
        await using var kubelet = Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = StepCaBinary.Path });
        var kubeconfig = dir.Combine("kubeconfig");
        server.WriteKubeconfig(kubeconfig);

        await using var app = await Seed(kubeconfig, dir.Combine("caroot"), k => k.WithCertManagerInstall("1.21.1")).BuildAsync(Ct);
        await app.StartAsync(Ct).WaitAsync(TimeSpan.FromMinutes(2), Ct);
        var issuer = await app.ResourceNotifications.WaitForResourceAsync("step-ca-acme", e => Property(e, "localtls.problem")?.Contains("could not be downloaded", StringComparison.Ordinal) == true, Ct).WaitAsync(TimeSpan.FromSeconds(180), Ct);
        Assert.Equal(KnownResourceStates.Waiting, issuer.Snapshot.State?.Text);
        var problem = Property(issuer, "localtls.problem")!;
        Assert.Contains("offline", problem, StringComparison.Ordinal);
        Assert.Contains($"kubectl apply -f {CertManagerInstall.ManifestUrl("1.21.1")}", problem, StringComparison.Ordinal);
        var certificate = await app.ResourceNotifications.WaitForResourceAsync("app-tls", e => Property(e, "localtls.problem")?.Contains("could not be downloaded", StringComparison.Ordinal) == true, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(KnownResourceStates.Waiting, certificate.Snapshot.State?.Text);
        await app.StopAsync(Ct);
    }

    [Fact]
    public async Task A_cert_manager_installed_otherwise_is_left_alone_and_LocalTls_own_install_is_resumed_until_it_answers()
    {
        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        Assert.Null(await CertManagerInstall.SkipReasonAsync(client, "1.21.1", Ct));

        await DiscoveryTests.ApplyCertManagerCrdsAsync(server); // as kubectl or Helm would have
        Assert.Equal("already installed, not by LocalTls: v1.21.1 not applied (upgrade it the way it was installed)", await CertManagerInstall.SkipReasonAsync(client, "1.21.1", Ct));

        await using var other = await DoubleClient.StartAsync();
        var ours = other.CreateClient();
        await ours.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new() { Name = "kube-system" } }, cancellationToken: Ct);
        await CertManagerInstall.ApplyAsync(ours, CertManagerInstall.Parse(CertManagerRelease.Manifest(), "1.21.1"), "1.21.1", Ct);
        Assert.Null(await CertManagerInstall.SkipReasonAsync(ours, "1.21.1", Ct)); // its webhook does not answer yet: apply again
        await using var certManager = CertManagerStandIn.Start(other);
        Assert.Equal("already installed and answering: v1.21.1 not applied", await CertManagerInstall.SkipReasonAsync(ours, "1.21.1", Ct));
    }

    [Fact]
    public async Task A_missing_release_and_a_refused_document_name_what_went_wrong()
    {
        await using var release = CertManagerRelease.Serve("1.21.1", manifest: """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: cert-manager
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: cert-manager
              namespace: cert-manager
            spec:
              replicaz: 1
            ---
            apiVersion: policy/v1
            kind: PodDisruptionBudget
            metadata:
              name: cert-manager
              namespace: cert-manager
            """);
        CertManagerInstall.ReleasesBaseUri = release.BaseUri;
        var missing = await Assert.ThrowsAsync<CertManagerInstallException>(() => CertManagerInstall.DownloadAsync("1.99.0", Ct));
        Assert.Contains("there is no cert-manager release v1.99.0", missing.Message, StringComparison.Ordinal);
        Assert.False(missing.Refused);

        await using var server = await DoubleClient.StartAsync();
        var client = server.CreateClient();
        var documents = CertManagerInstall.Parse(await CertManagerInstall.DownloadAsync("1.21.1", Ct), "1.21.1");
        Assert.Equal(["Namespace", "Deployment", "PodDisruptionBudget"], documents.Select(d => d.Kind));

        var refused = await Assert.ThrowsAsync<CertManagerInstallException>(() => CertManagerInstall.ApplyAsync(client, documents, "1.21.1", Ct));
        Assert.True(refused.Refused);
        Assert.Contains("refused Deployment cert-manager/cert-manager", refused.Message, StringComparison.Ordinal);
        Assert.Contains("replicaz", refused.Message, StringComparison.Ordinal);
        Assert.Contains("kubectl apply -f", refused.Message, StringComparison.Ordinal);
        Assert.NotNull(await client.CoreV1.ReadNamespaceAsync("cert-manager", cancellationToken: Ct));

        var unserved = await Assert.ThrowsAsync<CertManagerInstallException>(() => CertManagerInstall.ApplyAsync(client, [documents[2]], "1.21.1", Ct));
        Assert.Contains("does not serve policy/v1", unserved.Message, StringComparison.Ordinal);
    }
}
