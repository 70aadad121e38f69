using LocalTls.Pki;

namespace LocalTls.Tests.StepCa;

/// <summary>CA material for the step-ca tests, made by the real Pki generator.</summary>
internal static class TestCa
{
    private static readonly Lazy<CaMaterial> Shared = new(() => CaGenerator.Create().WithoutRootKey());

    /// <summary>One CA shared by the tests that do not care which (default options: ECDSA P-256, name constraints on).</summary>
    public static CaMaterial Default => Shared.Value;

    public static CaMaterial Create(string name = "LocalTls Test") =>
        CaGenerator.Create(new CaOptions { RootCommonName = name + " Root", IntermediateCommonName = name + " Intermediate" }).WithoutRootKey();
}
