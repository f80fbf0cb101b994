using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine.Flow;

/// <summary>
/// What runs (issue 21, table 2), applied: every method an operation runs (<see cref="MethodsRun"/>)
/// may be a guest call, and reads the views it is given as its body does: a method of the
/// compilation is judged by its body (which parameters, captured variables and fields of its
/// object it reads), a library's member by what it is (<see cref="NonReadingMembers"/>, a
/// collection's or wrapper's member, a generic parameter that only passes values along).
/// </summary>
internal sealed partial class ViewFlowAnalysis
{
    private sealed partial class Evaluator
    {
        private ViewValue? EvaluateCall(IOperation operation)
        {
            switch (operation)
            {
                case IInvocationOperation invocation:
                    return EvaluateInvocation(invocation);
                case IObjectCreationOperation creation:
                    return EvaluateCreation(creation);
                case IPropertyReferenceOperation property:
                    return EvaluateProperty(property);
                default:
                    // Dynamic calls, anonymous objects, function pointers: their operands flow through generically.
                    return EvaluateGeneric(operation);
            }
        }

        private static readonly List<(IArgumentOperation Argument, int Index)> NoOutArguments = new();

        private ViewValue? EvaluateInvocation(IInvocationOperation invocation)
        {
            var inputs = RentOperands();
            var consumed = RentOperands();
            try
            {
                return EvaluateInvocation(invocation, inputs, consumed);
            }
            finally
            {
                ReturnOperands(inputs);
                ReturnOperands(consumed);
            }
        }

        private ViewValue? EvaluateInvocation(IInvocationOperation invocation, List<Operand> inputs, List<Operand> consumed)
        {
            var method = invocation.TargetMethod;

            // foreach over an array of views: its enumerator carries them.
            var enumeratesArray = IsArrayOfViewsEnumerator(invocation);
            if (invocation.Instance is { } instance)
            {
                var receiver = Capture(instance);
                if (method.MethodKind == MethodKind.DelegateInvoke)
                {
                    // Invoking a delegate does not read a view it came from.
                }
                else if (CarriesView(receiver) || enumeratesArray)
                {
                    inputs.Add(receiver);
                }
                else
                {
                    consumed.Add(receiver);
                }
            }

            List<(IArgumentOperation Argument, int Index)>? outArguments = null;
            for (var i = 0; i < invocation.Arguments.Length; i++)
            {
                var argument = invocation.Arguments[i];
                if (argument.Parameter?.RefKind == RefKind.Out)
                {
                    (outArguments ??= new()).Add((argument, i));
                    if (Classify(argument.Value) == StoreTargetKind.GuestMemory)
                    {
                        // out Slot(address), out span[0], out count where count is a ref into guest
                        // memory: the callee writes through the reference it is given, stale or not;
                        // as an assignment to the same target would.
                        var location = Capture(argument.Value);
                        Use(location);
                        inputs.Add(location);
                    }

                    continue;
                }

                var operand = Capture(argument.Value);
                if (argument.Parameter?.RefKind is RefKind.Ref or RefKind.In or RefKind.RefReadOnlyParameter)
                {
                    (outArguments ??= new()).Add((argument, i));
                }

                if (argument.Parameter?.RefKind is RefKind.Ref or RefKind.In or RefKind.RefReadOnlyParameter || CarriesView(operand))
                {
                    inputs.Add(operand);
                }
                else
                {
                    consumed.Add(operand);
                }
            }

            var origin = ReceiverIsView(invocation.Instance, inputs) ? null : _analysis.GetOrigin(invocation);
            var guestCall = _analysis.GetGuestCall(invocation);
            var resultCarries = method.ReturnsByRef || method.ReturnsByRefReadonly || enumeratesArray
                                || (Types.CanHoldView(method.ReturnType) && !IsGenericValueOfSpans(method.ReturnType, inputs) && !Semantics.Symbols.Effects.IsCopy(method));
            var hasViewInput = HasView(inputs);
            CheckArchiveHandoff(invocation, inputs, consumed);

            foreach (var operand in consumed)
            {
                Consume(operand);
            }

            if (origin is null && hasViewInput && Semantics.IsStorageIntoCollection(invocation) && invocation.Instance is { } collection)
            {
                // outputs.Add(view), nodes.AddLast(view), cache.GetOrAdd(key, view): the collection
                // now holds the view, whatever the call returns; nothing is read yet.
                for (var i = 1; i < inputs.Count; i++)
                {
                    StoreIntoContainer(collection, inputs[i]);
                }
            }
            else if (origin is null && hasViewInput && !resultCarries)
            {
                foreach (var operand in inputs)
                {
                    if (ReadsOperand(method, invocation.Instance, invocation.Arguments, operand))
                    {
                        Use(operand);
                    }
                }
            }

            if (hasViewInput)
            {
                CheckArgumentsReadAfterCalleeGuestCall(invocation, inputs);
                StoreThroughRefArguments(method, invocation.Arguments, inputs);
            }

            EscapeThroughCall(invocation, inputs);
            UseCapturedViews(invocation);
            UseElementsHandedToDelegates(invocation, inputs);
            ApplyGuestCall(guestCall);
            if (method.Name == "ThrowIfStale" && ViewTypeClassifier.IsRuntimeChecked(method.ContainingType)
                && invocation.Instance is { } checkedView && RuntimeCheckedEntity(checkedView) is { } checkedEntity
                && _state.Get(checkedEntity) is { } checkedValue)
            {
                // After the guarded view's own check, the companion library answers for it.
                _state.Set(checkedEntity, ViewValue.Fresh(checkedValue.Origin).AsAddress(checkedValue.IsAddress));
            }

            var iterator = guestCall is null ? null : _analysis.EnumeratedIterator(invocation);
            if (iterator is not null && method.Name == "MoveNext" && invocation.Instance is { } enumerator)
            {
                RefreshIterated(enumerator);
            }

            foreach (var (argument, index) in outArguments ?? NoOutArguments)
            {
                if (TrackedEntity(argument.Value) is not { } entity)
                {
                    continue;
                }

                var outOrigin = _analysis.GetOutOrigin(invocation, argument, index);
                if (outOrigin is not null)
                {
                    _state.Set(entity, ViewValue.Fresh(outOrigin));
                }
                else if (argument.Parameter?.RefKind == RefKind.Out)
                {
                    // map.TryGetValue(key, out var view), queue.TryDequeue(out var p): what comes back out of a container.
                    _state.Set(entity, hasViewInput && Types.CanHoldView(argument.Parameter.Type) ? Derive(inputs) : null);
                }
            }

            if (origin is not null)
            {
                return ViewValue.Fresh(origin);
            }

            if (hasViewInput && IsAddressArithmetic(method) && IsAddressSizedInteger(method.ReturnType))
            {
                // pointer.ToInt64(): the address, in an integer.
                return Derive(inputs)?.AsAddress(true);
            }

            if (iterator is not null && hasViewInput && resultCarries && !Types.IsCollectionOfViews(method.ReturnType))
            {
                // views.First() over an iterator: the item it yielded last, fresh when handed over.
                return DeriveFresh(inputs);
            }

            if (hasViewInput && IsCloneReplacingEveryView(invocation))
            {
                return null;
            }

            return hasViewInput && resultCarries ? DeriveResult(invocation, inputs)?.AsAddress(false) : null;
        }

        /// <summary>
        /// What a call hands back from the views it is given: the receiver's, and the arguments' unless
        /// the callee cannot return them — a <c>scoped</c> parameter (the compiler keeps it out of the
        /// result), or a method whose body (every implementation of it the call may land in) returns
        /// something else: a buffer of its own, a copy, a view it obtains itself.
        /// </summary>
        private ViewValue? DeriveResult(IInvocationOperation invocation, List<Operand> inputs)
        {
            var returnable = new List<Operand>(inputs.Count);
            bool? mayReturnArguments = null;
            foreach (var input in inputs)
            {
                // A ref, in or ref readonly argument may come back as the reference itself (return ref
                // a): only values handed over by value are judged by the callee's body.
                if (input.Operation.Parent is IArgumentOperation { Parameter: { RefKind: RefKind.None } parameter })
                {
                    if (parameter.ScopedKind == ScopedKind.ScopedValue)
                    {
                        continue;
                    }

                    mayReturnArguments ??= Semantics.ViewSources.MayReturnParameterView(MethodsRun.ExactTarget(invocation) ?? invocation.TargetMethod, _analysis.Solver, _analysis._cancellationToken);
                    if (mayReturnArguments == false)
                    {
                        continue;
                    }
                }

                returnable.Add(input);
            }

            return Derive(returnable);
        }

        /// <summary>
        /// <c>record with { Pixels = copy }</c>, which the control-flow graph lowers to the record's
        /// clone and then the assignments: when the assignments replace every member of the record
        /// that can hold a view, the clone keeps none of the original's views.
        /// </summary>
        private bool IsCloneReplacingEveryView(IInvocationOperation invocation)
        {
            if (invocation.Syntax is not WithExpressionSyntax with
                || invocation.TargetMethod.ContainingType is not { IsRecord: true } record)
            {
                return false;
            }

            var replaced = new HashSet<string>(System.StringComparer.Ordinal);
            foreach (var expression in with.Initializer.Expressions)
            {
                if (expression is AssignmentExpressionSyntax { Left: IdentifierNameSyntax name })
                {
                    replaced.Add(name.Identifier.ValueText);
                }
            }

            for (var type = record; type is not null && type.IsRecord; type = type.BaseType)
            {
                foreach (var member in type.GetMembers())
                {
                    if (member is IFieldSymbol { IsStatic: false, IsConst: false } field
                        && (field.RefKind != RefKind.None || Types.CanHoldView(field.Type))
                        && !replaced.Contains((field.AssociatedSymbol ?? field).Name))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        /// <summary>
        /// A result of a generic type (<c>T</c>, <c>T?</c>) computed from views that are all spans:
        /// a span can reach such a value only boxed, and a boxed view is dropped anyway, so the result
        /// is built from the bytes (<c>JsonSerializer.Deserialize&lt;T&gt;(span)</c>), not over them,
        /// and the call reads the spans where it runs.
        /// </summary>
        private static bool IsGenericValueOfSpans(ITypeSymbol returnType, List<Operand> inputs)
        {
            var type = returnType is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
                ? nullable.TypeArguments[0]
                : returnType;
            if (type.TypeKind != TypeKind.TypeParameter)
            {
                return false;
            }

            foreach (var operand in inputs)
            {
                if (operand.Value is not null && operand.Operation.Type?.IsRefLikeType != true)
                {
                    return false;
                }
            }

            return true;
        }

        private ViewValue? EvaluateCreation(IObjectCreationOperation creation)
        {
            var inputs = RentOperands();
            var consumed = RentOperands();
            try
            {
                return EvaluateCreation(creation, inputs, consumed);
            }
            finally
            {
                ReturnOperands(inputs);
                ReturnOperands(consumed);
            }
        }

        private ViewValue? EvaluateCreation(IObjectCreationOperation creation, List<Operand> inputs, List<Operand> consumed)
        {
            foreach (var argument in creation.Arguments)
            {
                var operand = Capture(argument.Value);
                (CarriesView(operand) || argument.Parameter?.RefKind is RefKind.Ref or RefKind.In ? inputs : consumed).Add(operand);
            }

            if (creation.Initializer is { } initializer)
            {
                foreach (var child in initializer.ChildOperations)
                {
                    inputs.Add(Capture(child));
                }
            }

            foreach (var operand in consumed)
            {
                Consume(operand);
            }

            var hasViewInput = HasView(inputs);
            var type = creation.Type;

            // new Span<byte>(p, n), new UnmanagedMemoryStream(p, n), a MemoryManager over p, a
            // reader or archive over such a stream: all keep reading guest memory later.
            var wraps = hasViewInput
                        && (Types.CanHoldView(type) || (type is not null && type.SpecialType != SpecialType.System_String && Implements(type, Semantics.Symbols.IDisposable)));
            if (hasViewInput && !wraps && creation.Constructor is { } constructor)
            {
                foreach (var operand in inputs)
                {
                    if (ReadsOperand(constructor, instance: null, creation.Arguments, operand))
                    {
                        Use(operand);
                    }
                }
            }

            EscapeThroughCreation(creation, inputs);
            ApplyGuestCall(creation);
            if (_analysis.GetOrigin(creation) is { } origin)
            {
                // new GuestMemory(memory, address, length): a MemoryManager that takes the pointer itself.
                return ViewValue.Fresh(origin);
            }

            return wraps ? Derive(inputs)?.AsAddress(false) : null;
        }

        private ViewValue? EvaluateProperty(IPropertyReferenceOperation propertyReference)
        {
            if (TrackedEntity(propertyReference) is { } entity && _analysis.GetOrigin(propertyReference) is null)
            {
                // An auto-property of this object: its field.
                return _state.Get(entity)?.WithReference(propertyReference);
            }

            var inputs = RentOperands();
            try
            {
                return EvaluateProperty(propertyReference, inputs);
            }
            finally
            {
                ReturnOperands(inputs);
            }
        }

        private ViewValue? EvaluateProperty(IPropertyReferenceOperation propertyReference, List<Operand> inputs)
        {
            var property = propertyReference.Property;

            // foreach over an array of views: the element comes back as the non-generic Current.
            var enumeratesArray = IsNonGenericCurrent(propertyReference);
            if (propertyReference.Instance is { } instance)
            {
                var receiver = Capture(instance);
                if (CarriesView(receiver) || enumeratesArray)
                {
                    inputs.Add(receiver);
                }
                else
                {
                    Consume(receiver);
                }
            }

            foreach (var argument in propertyReference.Arguments)
            {
                Consume(Capture(argument.Value));
            }

            var origin = ReceiverIsView(propertyReference.Instance, inputs) ? null : _analysis.GetOrigin(propertyReference);
            var resultCarries = property.ReturnsByRef || property.ReturnsByRefReadonly || enumeratesArray || Types.CanHoldView(property.Type);
            var hasViewInput = HasView(inputs);
            if (origin is null && hasViewInput && !resultCarries)
            {
                foreach (var operand in inputs)
                {
                    if (ReadsThroughReceiver(propertyReference.Instance!, operand, property.GetMethod))
                    {
                        Use(operand);
                    }
                }
            }

            ApplyGuestCall(propertyReference);
            if (origin is not null)
            {
                return ViewValue.Fresh(origin);
            }

            // list[0], pair.Value, nullable.Value, tuple.Rest: a view read back out of a container (the reads partial).
            return hasViewInput && resultCarries ? Derive(inputs) : null;
        }

        /// <summary>
        /// An operation that runs a method of its own on its operands: a user-defined operator or
        /// conversion, an event accessor. The operands are the method's arguments.
        /// </summary>
        private ViewValue? EvaluateUserDefinedOperator(IOperation operation, List<Operand> operands)
        {
            var method = MethodOf(operation);
            var resultCarries = Types.CanHoldView(operation.Type);
            for (var i = 0; i < operands.Count; i++)
            {
                var operand = operands[i];
                if (operand.Value is null || !CarriesView(operand))
                {
                    Consume(operand);
                }
                else if (!resultCarries && (method is null || ReadsParameterAt(method, i, operand)))
                {
                    Use(operand);
                }
            }

            ApplyGuestCall(operation);
            if (!resultCarries)
            {
                return null;
            }

            var inputs = operands.FindAll(operand => operand.Value is not null && CarriesView(operand));
            return inputs.Count == 0 ? null : Derive(inputs);
        }

        private static IMethodSymbol? MethodOf(IOperation operation) => operation switch
        {
            IBinaryOperation binary => binary.OperatorMethod,
            IUnaryOperation unary => unary.OperatorMethod,
            IConversionOperation conversion => conversion.OperatorMethod,
            _ => null,
        };

        // -------------------------------------------------------------- what the callee does with its inputs

        /// <summary>Whether the call reads (or writes) the guest memory <paramref name="operand"/>, its receiver or one of its arguments, points to.</summary>
        private bool ReadsOperand(IMethodSymbol method, IOperation? instance, IReadOnlyList<IArgumentOperation> arguments, Operand operand)
        {
            if (instance is not null && operand.Operation == instance)
            {
                return ReadsThroughReceiver(instance, operand, method);
            }

            foreach (var argument in arguments)
            {
                if (argument.Value == operand.Operation)
                {
                    return argument.Parameter is null || ReadsParameterAt(method, argument.Parameter.Ordinal, operand);
                }
            }

            return true;
        }

        /// <summary>
        /// Whether calling <paramref name="member"/> on a receiver that carries a view reads the
        /// memory it points to: a member of the user's code is judged by its body (the fields of its
        /// object it reads), a library's member of a collection, tuple, <c>KeyValuePair</c>,
        /// <c>Nullable</c> or <c>Task</c> reads the container and not the guest memory its views point
        /// to; a span's, stream's or manager's member reads it unless it is a known non-reading one.
        /// </summary>
        private bool ReadsThroughReceiver(IOperation instance, Operand receiver, IMethodSymbol? member)
        {
            // Only a stale view's read is reported: a fresh one needs no judging (nor its summaries).
            if (member is null || Effective(receiver) is not { IsStale: true })
            {
                return true;
            }

            if (IsNonReadingMember(member) || (member.AssociatedSymbol is { } property && IsNonReadingMember(property)) || IsAddressArithmetic(member))
            {
                return false;
            }

            if (Semantics.IsDeclaredInSource(member))
            {
                return IsGuestStorage(instance) || Semantics.ViewState.UsesViewState(member, _analysis.Solver, _analysis._cancellationToken);
            }

            return !Types.IsContainerOfViews(receiver.Operation.Type);
        }

        /// <summary>
        /// Whether <paramref name="method"/> reads the view passed as its parameter
        /// <paramref name="ordinal"/>: from its body's summary when it has one in the compilation;
        /// never when it is a known non-reading member or the parameter is generic (<c>T</c>,
        /// <c>IEnumerable&lt;T&gt;</c>: code that receives any <c>T</c> cannot read memory through it).
        /// Asked only of a stale view: a fresh one is read harmlessly either way.
        /// </summary>
        private bool ReadsParameterAt(IMethodSymbol method, int ordinal, Operand operand)
        {
            if (Effective(operand) is not { IsStale: true })
            {
                return true;
            }

            if (IsNonReadingMember(method))
            {
                return false;
            }

            if (Semantics.IsSourceMethod(method, out _))
            {
                return Semantics.InputReads.ReadsParameter(method, ordinal, _analysis.Solver, _analysis._cancellationToken);
            }

            return ordinal >= method.Parameters.Length || !PassesValuesAlong(method.Parameters[ordinal]);
        }

        /// <summary>A parameter declared <c>T</c> or as a collection of <c>T</c>: the callee can only hand such values along.</summary>
        private bool PassesValuesAlong(IParameterSymbol parameter)
        {
            var declared = parameter.OriginalDefinition.Type;
            if (declared.TypeKind == TypeKind.TypeParameter)
            {
                return true;
            }

            if (declared is not INamedTypeSymbol { IsGenericType: true } generic || !Types.IsContainerOfViews(parameter.Type))
            {
                return false;
            }

            foreach (var argument in generic.TypeArguments)
            {
                if (argument.TypeKind == TypeKind.TypeParameter)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Members of the BCL's spans, streams and collections that read no element (<c>Length</c>,
        /// <c>Dispose</c>, ...; <see cref="Knowledge.NonReadingMembers"/>). Only theirs: a method of the
        /// user's code, even one overriding <c>Stream.Length</c>, is judged by its body.
        /// </summary>
        private bool IsNonReadingMember(ISymbol member)
            => !Semantics.IsDeclaredInSource(member) && Semantics.Symbols.NonReadingMembers.Contains(member);

        /// <summary>Members of <see cref="System.IntPtr"/> compute with the address; they do not read memory.</summary>
        private static bool IsAddressArithmetic(IMethodSymbol method)
            => method.ContainingType?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr;

        /// <summary>
        /// A view source called on a view (<c>guardedView.Span</c>) derives from it: the result is
        /// only as fresh as the view it came from.
        /// </summary>
        private static bool ReceiverIsView(IOperation? instance, List<Operand> inputs)
            => instance is not null && inputs.Count > 0 && inputs[0].Operation == instance && inputs[0].Value is not null;

        private static bool Implements(ITypeSymbol type, INamedTypeSymbol @interface)
        {
            if (SymbolEqualityComparer.Default.Equals(type, @interface))
            {
                return true;
            }

            foreach (var implemented in type.AllInterfaces)
            {
                if (SymbolEqualityComparer.Default.Equals(implemented, @interface))
                {
                    return true;
                }
            }

            return false;
        }

        // -------------------------------------------------------------- stores a call makes

        /// <summary>
        /// <c>Interlocked.Exchange(ref _current, p)</c>, <c>Volatile.Write(ref _current, p)</c>: the
        /// BCL's <c>ref</c> stores (<see cref="RefArgumentStores"/>). The user's own methods that
        /// store through a <c>ref</c> parameter are followed by the escape summary instead.
        /// </summary>
        private void StoreThroughRefArguments(IMethodSymbol method, IReadOnlyList<IArgumentOperation> arguments, List<Operand> inputs)
        {
            if (!Semantics.RefArgumentStores.TryGetStore(method, out var location, out var value))
            {
                return;
            }

            IArgumentOperation? locationArgument = null;
            IArgumentOperation? valueArgument = null;
            foreach (var argument in arguments)
            {
                if (argument.Parameter?.Ordinal == location)
                {
                    locationArgument = argument;
                }
                else if (argument.Parameter?.Ordinal == value)
                {
                    valueArgument = argument;
                }
            }

            if (locationArgument is not null && valueArgument is not null && FindOperand(inputs, valueArgument.Value) is { } stored)
            {
                StoreThroughRefArgument(locationArgument.Value, stored);
            }
        }

        // -------------------------------------------------------------- guest calls and code run now

        /// <summary>
        /// <c>MoveNext</c> on an enumerator of an iterator's sequence ran the body up to its next
        /// <c>yield return</c>: the item <c>Current</c> now hands over is fresh, whatever the body called.
        /// </summary>
        private void RefreshIterated(IOperation enumerator)
        {
            if (TrackedEntity(enumerator.WalkDownConversions()) is { } entity && _state.Get(entity) is { } value)
            {
                _state.Set(entity, ViewValue.Fresh(value.Origin));
            }
        }

        private ViewValue? DeriveFresh(List<Operand> inputs)
        {
            ViewValue? result = null;
            foreach (var input in inputs)
            {
                if (input.Value is { } value)
                {
                    result = ViewValue.Join(result, ViewValue.Fresh(value.Origin));
                }
            }

            return result;
        }

        private void ApplyGuestCall(IOperation operation) => ApplyGuestCall(_analysis.GetGuestCall(operation));

        private void ApplyGuestCall(GuestCall? call)
        {
            if (call is not null)
            {
                _state.MarkAllStale(call);
                AgeElementStore(call);
                _calls.Add(call);
            }
        }

        /// <summary>
        /// Calling a local function or lambda reads the captured variables it reads: a pointer,
        /// stream or queue of views captured by <c>void Flush() =&gt; ...</c> is used when
        /// <c>Flush()</c> runs, reported at the call, naming the captured variable. A lambda handed
        /// to a method reads them whenever it runs, now (<c>items.ForEach(i =&gt; ...)</c>) or later
        /// (<c>Task.Run</c>, a collection of callbacks): a view already stale when handed over is read
        /// stale either way, reported where the lambda reads it.
        /// </summary>
        private void UseCapturedViews(IInvocationOperation invocation)
        {
            var runsNestedFunction = invocation.TargetMethod.MethodKind is MethodKind.LocalFunction or MethodKind.DelegateInvoke;
            if (!runsNestedFunction && !HasDelegateArgument(invocation))
            {
                return;
            }

            if (!_state.HasStaleView)
            {
                // No captured variable can be read stale: the delegates need not be looked up.
                return;
            }

            if (runsNestedFunction)
            {
                foreach (var function in Semantics.Captures.GetCalledNestedFunctions(invocation, _analysis._cancellationToken))
                {
                    UseCapturedViews(function, invocation, atReference: false);
                }
            }

            foreach (var argument in invocation.Arguments)
            {
                if (argument.Value.Type?.TypeKind == TypeKind.Delegate)
                {
                    UseCapturedViewsOf(argument.Value);
                }
            }
        }

        private static bool HasDelegateArgument(IInvocationOperation invocation)
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Value.Type?.TypeKind == TypeKind.Delegate)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// <c>outputs.Select(o =&gt; Adler(o.Pixels.Span))</c>, <c>views.ForEach(v =&gt; Write(v.Span))</c>:
        /// a delegate handed over together with a collection of views receives its elements as its
        /// parameters, and reads them as its body does. A stale collection read that way is used
        /// here, reported at the collection.
        /// </summary>
        private void UseElementsHandedToDelegates(IInvocationOperation invocation, List<Operand> inputs)
        {
            foreach (var container in inputs)
            {
                if (!Types.IsCollectionOfViews(container.Operation.Type) || Effective(container) is not { IsStale: true } stale)
                {
                    continue;
                }

                foreach (var argument in invocation.Arguments)
                {
                    if (argument.Value.Type?.TypeKind == TypeKind.Delegate && ReadsViewParameter(argument.Value))
                    {
                        Record(container.Operation, stale);
                        break;
                    }
                }
            }
        }

        /// <summary>Whether a delegate value reads through one of its parameters that can hold a view.</summary>
        private bool ReadsViewParameter(IOperation delegateValue)
        {
            foreach (var function in Semantics.Escapes.GetDelegateTargets(delegateValue, _analysis._cancellationToken))
            {
                foreach (var parameter in function.Parameters)
                {
                    if (Types.CanHoldView(parameter.Type)
                        && Semantics.InputReads.ReadsParameter(function, parameter.Ordinal, _analysis.Solver, _analysis._cancellationToken))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>The stale captured views a delegate value reads whenever it runs, reported where it reads them.</summary>
        private void UseCapturedViewsOf(IOperation delegateValue)
        {
            foreach (var function in Semantics.Escapes.GetDelegateTargets(delegateValue, _analysis._cancellationToken))
            {
                UseCapturedViews(function, delegateValue, atReference: true);
            }
        }

        private void UseCapturedViews(IMethodSymbol function, IOperation location, bool atReference)
        {
            foreach (var captured in Semantics.Captures.GetCapturedReads(function, _analysis._cancellationToken))
            {
                if (_state.Get(captured) is not { IsStale: true } value
                    || !Semantics.InputReads.ReadsCaptured(function, captured, _analysis.Solver, _analysis._cancellationToken))
                {
                    continue;
                }

                var reference = atReference ? FirstReference(function, captured) ?? location : location;
                Record(reference, value.WithoutReference(), captured.Name);
            }
        }

        /// <summary>
        /// A view handed to a method of the compilation that reads that parameter after a guest call
        /// of its own is used after that call, wherever the view came from.
        /// </summary>
        private void CheckArgumentsReadAfterCalleeGuestCall(IInvocationOperation invocation, List<Operand> inputs)
        {
            var uses = Semantics.ViewSources.GetParameterUses(invocation.TargetMethod, _analysis.Solver, _analysis._cancellationToken);
            if (uses.IsEmpty)
            {
                return;
            }

            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is not { } parameter || !uses.Contains(parameter.Ordinal))
                {
                    continue;
                }

                foreach (var operand in inputs)
                {
                    if (operand.Operation == argument.Value && Effective(operand) is { } value)
                    {
                        Record(operand.Operation, value.MarkStale(_analysis.GetCalleeCall(invocation)));
                    }
                }
            }
        }
    }
}
